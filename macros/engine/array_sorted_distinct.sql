{#- The distinct non-null elements of an array, ascending. DuckDB list_distinct drops nulls;
    Spark's array_distinct keeps one, so it is filtered out first. -#}
{% macro array_sorted_distinct(array) -%}
    {{- return(adapter.dispatch('array_sorted_distinct')(array)) -}}
{%- endmacro %}

{% macro default__array_sorted_distinct(array) -%}list_sort(list_distinct({{ array }})){%- endmacro %}

{% macro spark__array_sorted_distinct(array) -%}
    array_sort(array_distinct(filter({{ array }}, element -> element is not null)))
{%- endmacro %}
