{#- True when the array holds the item: DuckDB list_contains; Spark array_contains. -#}
{% macro array_has(array, item) -%}
    {{- return(adapter.dispatch('array_has')(array, item)) -}}
{%- endmacro %}

{% macro default__array_has(array, item) -%}list_contains({{ array }}, {{ item }}){%- endmacro %}

{% macro spark__array_has(array, item) -%}array_contains({{ array }}, {{ item }}){%- endmacro %}
