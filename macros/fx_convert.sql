{#- Convert an amount between currencies with rates quoted as units per 1 EUR (ECB style),
    crossing via EUR (RULES.md §3). Same currency: unchanged, exact. From EUR: one
    multiplication, exact at 12 places. Otherwise amount * to_rate / from_rate: the
    quotient has no finite decimal form in general, so it is computed in double and
    carried at 12 decimal places; fx_error_bound() gives a bound on that error. -#}
{% macro fx_convert(amount, from_currency, to_currency, from_units_per_eur, to_units_per_eur) -%}
    case
        when {{ amount }} is null then null
        when {{ from_currency }} = {{ to_currency }} then cast({{ amount }} as decimal(38, 12))
        when {{ from_currency }} = 'EUR' then {{ decimal_multiply(amount, to_units_per_eur) }}
        else cast(
            cast({{ decimal_multiply(amount, to_units_per_eur) }} as double)
            / cast({{ from_units_per_eur }} as double)
            as decimal(38, 12)
        )
    end
{%- endmacro %}
