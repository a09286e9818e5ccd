{#- An upper bound on the error fx_convert() can make: 0 where it is exact. -#}
{% macro fx_error_bound(amount, from_currency, to_currency, from_units_per_eur, to_units_per_eur) -%}
    case
        when {{ amount }} is null or {{ from_currency }} = {{ to_currency }} or {{ from_currency }} = 'EUR'
            then cast(0 as decimal(38, 12))
        else cast(
            abs(cast({{ amount }} as double)) * cast({{ to_units_per_eur }} as double)
            / cast({{ from_units_per_eur }} as double) * 1e-14 + 1e-12
            as decimal(38, 12)
        )
    end
{%- endmacro %}
