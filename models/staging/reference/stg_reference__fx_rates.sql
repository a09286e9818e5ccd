-- A user's reference/fx_rates.csv tops up the shipped ECB rates (contract: raw_extracts.md
-- `reference/fx_rates`): a supplied (rate_date, currency) overrides the shipped rate for
-- that date and currency only; every other shipped rate stays. A user who publishes only
-- November CNY rates keeps the ECB's USD, JPY, ... and the ECB's CNY of other days.
with user_rates as (
    select * from {{ source('reference', 'fx_rates') }}
    {{ keep_latest_version(['rate_date', 'currency']) }}
),

shipped_rates as (
    select * from {{ ref('ecb_fx_rates') }}
),

user_with_euro as (
    select
        rate_date,
        currency,
        units_per_eur
    from user_rates
    union all
    -- EUR per EUR is 1 on every date the user published a rate (the crossing currency is
    -- never staler than the rate it crosses with).
    select distinct
        user_rates.rate_date,
        'EUR' as currency,
        cast(1 as decimal(38, 12)) as units_per_eur
    from user_rates
    where not exists (
            select 1 from user_rates as eur
            where
                eur.currency = 'EUR'
                and eur.rate_date = user_rates.rate_date
        )
),

combined as (
    select
        rate_date,
        currency,
        cast(units_per_eur as decimal(38, 12)) as units_per_eur,
        'reference/fx_rates.csv' as rate_source
    from user_with_euro
    union all
    select
        shipped_rates.rate_date,
        shipped_rates.currency,
        cast(shipped_rates.units_per_eur as decimal(38, 12)) as units_per_eur,
        shipped_rates.source as rate_source
    from shipped_rates
    where not exists (
            select 1 from user_with_euro
            where
                user_with_euro.rate_date = shipped_rates.rate_date
                and user_with_euro.currency = shipped_rates.currency
        )
),

final as (
    select
        currency || '|' || cast(rate_date as varchar) as fx_rate_id,
        rate_date,
        currency,
        units_per_eur,
        rate_source
    from combined
)

select * from final
