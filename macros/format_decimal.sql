{#- A decimal as text for explanations: no trailing zeros after the point (2.500000 -> 2.5).
    Spark: plain text (never scientific) and Java's `$1` for the group. -#}
{% macro format_decimal(value) -%}
    {{- return(adapter.dispatch('format_decimal')(value)) -}}
{%- endmacro %}

{% macro default__format_decimal(value) -%}
    regexp_replace(regexp_replace(cast({{ value }} as varchar), '(\.[0-9]*[1-9])0+$', '\1'), '\.0+$', '')
{%- endmacro %}

{% macro spark__format_decimal(value) -%}
    regexp_replace(regexp_replace({{ spark_decimal_plain_text(value) }}, '(\\.[0-9]*[1-9])0+$', '$1'), '\\.0+$', '')
{%- endmacro %}
