{#- True when the regex (a SQL expression, e.g. a seed column) matches anywhere in the
    value: DuckDB regexp_matches (RE2); Spark rlike (java.util.regex). -#}
{% macro regex_matches(value, pattern_expression) -%}
    {{- return(adapter.dispatch('regex_matches')(value, pattern_expression)) -}}
{%- endmacro %}

{% macro default__regex_matches(value, pattern_expression) -%}regexp_matches({{ value }}, {{ pattern_expression }}){%- endmacro %}

{% macro spark__regex_matches(value, pattern_expression) -%}({{ value }} rlike {{ pattern_expression }}){%- endmacro %}
