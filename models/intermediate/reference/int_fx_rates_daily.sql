-- One row per (calendar date, currency): the rate a conversion on that date uses, which is
-- the last rate published on or before it (ECB practice; weekends and TARGET holidays
-- take the previous publishing day). How old that rate is decides fx_stale.
with rates as (
    select * from {{ ref('stg_reference__fx_rates') }}
),

currencies as (
    select
        currency,
        min(rate_date) as first_rate_date
    from rates
    group by currency
),

calendar as (
    {{ date_spine("date '" ~ var("calendar_start") ~ "'", "date '" ~ var("calendar_end") ~ "'") }}
),

currency_days as (
    select
        calendar.calendar_date,
        currencies.currency
    from calendar
    cross join currencies
    where calendar.calendar_date >= currencies.first_rate_date
),

resolved as (
    select
        currency_days.calendar_date,
        currency_days.currency,
        rates.rate_date,
        rates.units_per_eur,
        rates.rate_source
    from {{ asof_join_last('currency_days', 'rates', by=['currency'], left_on='calendar_date', right_on='rate_date') }}
),

final as (
    select
        currency || '|' || cast(calendar_date as {{ text_type() }}) as fx_rate_day_id,
        calendar_date,
        currency,
        rate_date,
        units_per_eur,
        rate_source,
        {{ days_between('calendar_date', 'rate_date') }} as rate_age_days,
        {{ days_between('calendar_date', 'rate_date') }} > {{ var('fx_max_staleness_days') }} as is_stale
    from resolved
)

select * from final
