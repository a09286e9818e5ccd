-- Every name a party or a restricted-list entry is known by (name, local name, each
-- `|`-separated alias), normalised once with normalise_party_name for screening.
with parties as (
    select * from {{ ref('stg_parties__parties') }}
),

list_entries as (
    select * from {{ ref('stg_reference__restricted_parties') }}
),

party_aliases as (
    {{ split_to_rows('parties', ['party_id'], 'aliases', '|', 'name_raw', 'name_position') }}
),

entry_aliases as (
    {{ split_to_rows('list_entries', ['entry_id'], 'entry_aliases', '|', 'name_raw', 'name_position') }}
),

names_unioned as (
    select
        'party' as subject_kind,
        party_id as subject_id,
        'name' as name_kind,
        0 as name_position,
        party_name as name_raw
    from parties
    union all
    select
        'party' as subject_kind,
        party_id as subject_id,
        'name_local' as name_kind,
        0 as name_position,
        party_name_local as name_raw
    from parties
    union all
    select
        'party' as subject_kind,
        party_id as subject_id,
        'alias' as name_kind,
        name_position,
        name_raw
    from party_aliases
    union all
    select
        'list_entry' as subject_kind,
        entry_id as subject_id,
        'name' as name_kind,
        0 as name_position,
        entry_name as name_raw
    from list_entries
    union all
    select
        'list_entry' as subject_kind,
        entry_id as subject_id,
        'name_local' as name_kind,
        0 as name_position,
        entry_name_local as name_raw
    from list_entries
    union all
    select
        'list_entry' as subject_kind,
        entry_id as subject_id,
        'alias' as name_kind,
        name_position,
        name_raw
    from entry_aliases
),

names_normalised as (
    select
        subject_kind || ':' || subject_id || ':' || name_kind || ':' || cast(name_position as {{ text_type() }})
            as screening_name_id,
        subject_kind,
        subject_id,
        name_kind,
        name_position,
        trim(name_raw) as name_raw,
        {{ normalise_party_name('name_raw') }} as name_normalised
    from names_unioned
    where nullif(trim(name_raw), '') is not null
),

final as (
    select * from names_normalised
    where name_normalised is not null
)

select * from final
