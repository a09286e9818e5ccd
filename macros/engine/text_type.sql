{#- The type of a text value, for casts: DuckDB `varchar`; Spark `string` (Spark's varchar
    needs a length). -#}
{% macro text_type() -%}
    {{- return(adapter.dispatch('text_type')()) -}}
{%- endmacro %}

{% macro default__text_type() -%}varchar{%- endmacro %}

{% macro spark__text_type() -%}string{%- endmacro %}
