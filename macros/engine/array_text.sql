{#- The elements of an array joined by a separator, nulls skipped: DuckDB array_to_string;
    Spark array_join. -#}
{% macro array_text(array, separator) -%}
    {{- return(adapter.dispatch('array_text')(array, separator)) -}}
{%- endmacro %}

{% macro default__array_text(array, separator) -%}array_to_string({{ array }}, {{ separator }}){%- endmacro %}

{% macro spark__array_text(array, separator) -%}array_join({{ array }}, {{ separator }}){%- endmacro %}
