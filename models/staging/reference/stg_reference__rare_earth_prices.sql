-- A user's reference/rare_earth_prices.csv replaces the shipped indicative prices.
with user_prices as (
    select * from {{ source('reference', 'rare_earth_prices') }}
    {{ keep_latest_version(['price_date', 'substance']) }}
),

shipped_prices as (
    select * from {{ ref('rare_earth_reference_prices') }}
),

user_supplied as (
    select count(*) > 0 as is_supplied from user_prices
),

prices as (
    select
        price_date,
        substance,
        price_per_kg,
        currency,
        source as price_source,
        false as is_indicative,
        'user_supplied' as confidence,
        cast(null as {{ text_type() }}) as price_note
    from user_prices
    union all
    select
        shipped_prices.price_date,
        shipped_prices.substance,
        cast(shipped_prices.price_per_kg as decimal(38, 12)) as price_per_kg,
        shipped_prices.currency,
        shipped_prices.source as price_source,
        true as is_indicative,
        shipped_prices.confidence,
        shipped_prices.note as price_note
    from shipped_prices
    cross join user_supplied
    where not user_supplied.is_supplied
),

final as (
    select
        substance || '|' || {{ date_text('price_date') }} as price_id,
        *
    from prices
)

select * from final
