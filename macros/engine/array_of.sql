{#- An array (list) of SQL expressions: DuckDB [a, b]; Spark array(a, b). -#}
{% macro array_of(items) -%}
    {{- return(adapter.dispatch('array_of')(items)) -}}
{%- endmacro %}

{% macro default__array_of(items) -%}[{{ items | join(', ') }}]{%- endmacro %}

{% macro spark__array_of(items) -%}array({{ items | join(', ') }}){%- endmacro %}
