-- A user's reference/fx_rates.csv overrides the shipped ECB rates as a whole (contract:
-- optional reference extracts "override the shipped defaults"); mixing two rate sources
-- would let one conversion use a rate the user never chose.
with user_rates as (
    select * from {{ source('reference', 'fx_rates') }}
    {{ keep_latest_version(['rate_date', 'currency']) }}
),

shipped_rates as (
    select * from {{ ref('ecb_fx_rates') }}
),

user_supplied as (
    select count(*) > 0 as is_supplied from user_rates
),

user_with_euro as (
    select
        rate_date,
        currency,
        units_per_eur
    from user_rates
    union all
    -- EUR per EUR is 1 on every date the user published a rate.
    select distinct
        rate_date,
        'EUR' as currency,
        cast(1 as decimal(38, 12)) as units_per_eur
    from user_rates
    where not exists (
            select 1 from user_rates as eur
            where eur.currency = 'EUR'
        )
),

final as (
    select
        rate_date,
        currency,
        units_per_eur,
        'reference/fx_rates.csv' as rate_source
    from user_with_euro
    union all
    select
        shipped_rates.rate_date,
        shipped_rates.currency,
        cast(shipped_rates.units_per_eur as decimal(38, 12)) as units_per_eur,
        shipped_rates.source as rate_source
    from shipped_rates
    cross join user_supplied
    where not user_supplied.is_supplied
)

select * from final
