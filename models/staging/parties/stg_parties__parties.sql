with parties as (
    select * from {{ source('parties', 'parties') }}
    {{ keep_latest_version(['party_id']) }}
),

final as (
    select
        party_id,
        name as party_name,
        name_local as party_name_local,
        country as party_country,
        party_type,
        aliases,
        extracted_at,
        _batch_id as batch_id
    from parties
)

select * from final
