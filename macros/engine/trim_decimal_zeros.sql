{#- A decimal as text with the trailing zeros after the point dropped, and the point too
    when nothing is left after it (12.500000 -> 12.5, 50.000 -> 50). DuckDB: the cast and
    regex the models used before. Spark casts a decimal below 1e-6, zero included, to
    scientific text (1E-12, 0E-12): such values are written out with format_number (no
    grouping commas are possible below 1). -#}
{% macro trim_decimal_zeros(value) -%}
    {{- return(adapter.dispatch('trim_decimal_zeros')(value)) -}}
{%- endmacro %}

{% macro default__trim_decimal_zeros(value) -%}
    regexp_replace(cast({{ value }} as varchar), '\.?0+$', '')
{%- endmacro %}

{% macro spark__trim_decimal_zeros(value) -%}
    regexp_replace({{ spark_decimal_plain_text(value) }}, '\\.?0+$', '')
{%- endmacro %}

{#- A decimal as plain text on Spark (never scientific). -#}
{% macro spark_decimal_plain_text(value) -%}
    case
        when abs({{ value }}) < 0.000001 then format_number({{ value }}, 38)
        else cast({{ value }} as string)
    end
{%- endmacro %}
