{#- Multiply two decimals without overflow or a silent switch to double.
    DuckDB gives decimal(38, s1 + s2) for a product, which overflows quickly when scales
    add up along a bill of materials. Every value here is carried at 12 decimal places:
    the product is computed exactly at 24 places, then rounded to 12 (10^-12 of a currency
    unit or of a quantity). Threshold comparisons stay exact on those values because they
    multiply (content * 1000 >= value) instead of dividing.
    Spark: the same expression is exact only with
    spark.sql.decimalOperations.allowPrecisionLoss=false (profiles.yml: the product is then
    decimal(38, 24), as in DuckDB; Spark's default rounds it to 6 places). Spark runs with
    ANSI off under dbt-spark, where an overflow is a silent null: it raises an error here,
    as DuckDB does. -#}
{% macro decimal_multiply(left, right) -%}
    {{- return(adapter.dispatch('decimal_multiply')(left, right)) -}}
{%- endmacro %}

{% macro default__decimal_multiply(left, right) -%}
    cast(cast({{ left }} as decimal(38, 12)) * cast({{ right }} as decimal(38, 12)) as decimal(38, 12))
{%- endmacro %}

{% macro spark__decimal_multiply(left, right) -%}
    {%- set product -%}
        cast(cast({{ left }} as decimal(38, 12)) * cast({{ right }} as decimal(38, 12)) as decimal(38, 12))
    {%- endset -%}
    case
        when {{ product }} is null and ({{ left }}) is not null and ({{ right }}) is not null
            then cast(raise_error('decimal_multiply: product overflows decimal(38, 12)') as decimal(38, 12))
        else {{ product }}
    end
{%- endmacro %}
