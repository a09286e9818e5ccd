{#- Multiply two decimals without overflow or a silent switch to double.
    DuckDB gives decimal(38, s1 + s2) for a product, which overflows quickly when scales
    add up along a bill of materials. Every value here is carried at 12 decimal places:
    the product is computed exactly at 24 places, then rounded to 12 (10^-12 of a currency
    unit or of a quantity). Threshold comparisons stay exact on those values because they
    multiply (content * 1000 >= value) instead of dividing. -#}
{% macro decimal_multiply(left, right) -%}
    cast(cast({{ left }} as decimal(38, 12)) * cast({{ right }} as decimal(38, 12)) as decimal(38, 12))
{%- endmacro %}
