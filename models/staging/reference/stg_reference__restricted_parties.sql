-- The user's reference/restricted_parties.csv adds to the shipped list entries; an entry
-- the user supplies with a shipped entry_id replaces the shipped one.
with user_entries as (
    select * from {{ source('reference', 'restricted_parties') }}
    {{ keep_latest_version(['entry_id']) }}
),

shipped_entries as (
    select * from {{ ref('restricted_party_entries') }}
),

final as (
    select
        entry_id,
        list_id,
        name as entry_name,
        name_local as entry_name_local,
        aliases as entry_aliases,
        country as entry_country,
        listed_on,
        delisted_on,
        source_ref,
        'reference/restricted_parties.csv' as entry_origin,
        'user_supplied' as confidence,
        cast(null as {{ text_type() }}) as entry_note
    from user_entries
    union all
    select
        shipped_entries.entry_id,
        shipped_entries.list_id,
        shipped_entries.name as entry_name,
        shipped_entries.name_local as entry_name_local,
        shipped_entries.aliases as entry_aliases,
        shipped_entries.country as entry_country,
        shipped_entries.listed_on,
        shipped_entries.delisted_on,
        shipped_entries.source_ref,
        'shipped: seeds/parties/restricted_party_entries.csv' as entry_origin,
        shipped_entries.confidence,
        shipped_entries.note as entry_note
    from shipped_entries
    where not exists (
            select 1 from user_entries
            where user_entries.entry_id = shipped_entries.entry_id
        )
)

select * from final
