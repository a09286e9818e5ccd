{#- The smallest element of an array: DuckDB list_min; Spark array_min. -#}
{% macro array_least(array) -%}
    {{- return(adapter.dispatch('array_least')(array)) -}}
{%- endmacro %}

{% macro default__array_least(array) -%}list_min({{ array }}){%- endmacro %}

{% macro spark__array_least(array) -%}array_min({{ array }}){%- endmacro %}
