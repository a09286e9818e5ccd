{#- An upper bound on the error of decimal_divide(numerator, denominator): 0 when the
    quotient is exact at 12 places, else half a unit of the 12th place (the rounding), or
    for the double fallback a relative 1e-14 plus 1e-12. -#}
{% macro decimal_divide_error_bound(numerator, denominator) -%}
    {%- set num = "cast(replace(cast(cast(" ~ numerator ~ " as decimal(38, 12)) as varchar), '.', '') as hugeint)" -%}
    {%- set den = "cast(replace(cast(cast(" ~ denominator ~ " as decimal(38, 12)) as varchar), '.', '') as hugeint)" -%}
    case
        when {{ numerator }} is null or {{ denominator }} is null or {{ denominator }} = 0
            then cast(0 as decimal(38, 12))
        when abs(cast({{ numerator }} as decimal(38, 12))) >= 10000000000000
            then cast(
                abs(cast({{ numerator }} as double) / cast({{ denominator }} as double)) * 1e-14 + 1e-12
                as decimal(38, 12)
            )
        when ({{ num }} * 1000000000000) % {{ den }} = 0 then cast(0 as decimal(38, 12))
        else cast(0.000000000001 as decimal(38, 12))
    end
{%- endmacro %}
