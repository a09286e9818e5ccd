with ownership as (
    select * from {{ source('parties', 'ownership') }}
    {{ keep_latest_version(['owner_party_id', 'owned_party_id', 'valid_from']) }}
),

final as (
    select
        owner_party_id
        || '>'
        || owned_party_id
        || '@'
        || coalesce({{ date_text('valid_from') }}, 'always') as ownership_id,
        owner_party_id,
        owned_party_id,
        ownership_pct,
        coalesce(valid_from, date '0001-01-01') as valid_from,
        coalesce(valid_to, date '9999-12-31') as valid_to,
        extracted_at,
        _batch_id as batch_id
    from ownership
)

select * from final
