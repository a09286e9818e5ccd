{#- The quotient of two decimals as decimal(38, 12), correctly rounded (half away from
    zero) at the 12th place, computed on exact integers: DuckDB's decimal / decimal is a
    double (1.13 / 1130.00 gives 0.000999...), which is not an exact decimal.
    Both operands are read as integers of 10^-12 units (from their decimal(38, 12) text,
    so nothing overflows on the way in); the numerator is scaled by 10^12 and divided in
    HUGEINT. Null or zero denominator: null. A numerator of 10^13 or more (out of the
    HUGEINT range once scaled) falls back to the double quotient; decimal_divide_error_bound
    covers both cases. -#}
{% macro decimal_divide(numerator, denominator) -%}
    {%- set num = "cast(replace(cast(cast(" ~ numerator ~ " as decimal(38, 12)) as varchar), '.', '') as hugeint)" -%}
    {%- set den = "cast(replace(cast(cast(" ~ denominator ~ " as decimal(38, 12)) as varchar), '.', '') as hugeint)" -%}
    {%- set quotient_units -%}
        (sign({{ num }}) * sign({{ den }})
        * ((2 * abs({{ num }}) * 1000000000000 + abs({{ den }})) // (2 * abs({{ den }}))))
    {%- endset -%}
    case
        when {{ numerator }} is null or {{ denominator }} is null or {{ denominator }} = 0 then null
        when abs(cast({{ numerator }} as decimal(38, 12))) >= 10000000000000
            then cast(cast({{ numerator }} as double) / cast({{ denominator }} as double) as decimal(38, 12))
        else cast({{ quotient_units }} // 1000000000000 as decimal(38, 12))
            + cast(cast({{ quotient_units }} % 1000000000000 as decimal(38, 0)) * 0.000000000001 as decimal(38, 12))
    end
{%- endmacro %}
