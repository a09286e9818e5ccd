{#- The array with one more element at its end: DuckDB list_append; Spark array_append. -#}
{% macro array_append_item(array, item) -%}
    {{- return(adapter.dispatch('array_append_item')(array, item)) -}}
{%- endmacro %}

{% macro default__array_append_item(array, item) -%}list_append({{ array }}, {{ item }}){%- endmacro %}

{% macro spark__array_append_item(array, item) -%}array_append({{ array }}, {{ item }}){%- endmacro %}
