-- One row per counterparty: who it is, and how it screens against the restricted-party
-- lists as of as_of_date (each shipment line is screened as of its own export date in
-- fct_shipment_determinations; this is the current picture for BI and analysts).
with parties as (
    select * from {{ ref('stg_parties__parties') }}
),

screened as (
    select * from {{ ref('int_parties_screened') }}
),

controlled as (
    select * from {{ ref('int_parties_ownership_resolved') }}
),

current_matches as (
    select
        party_id,
        bool_or(screening_outcome = 'listed' and list_id != 'unreliable_entity_list') as is_listed,
        bool_or(screening_outcome = 'possible_match' or list_id = 'unreliable_entity_list') as has_possible_match,
        bool_or(is_uel_match) as has_uel_match,
        string_agg(entry_id, ';' order by entry_id) as matched_entry_ids,
        string_agg(screening_reason, ' ' order by entry_id) as screening_reasons
    from screened
    where
        screening_outcome != 'dismissed'
        and listed_on <= {{ as_of_date() }}
        and (delisted_on is null or delisted_on > {{ as_of_date() }})
    group by party_id
),

current_control as (
    select
        party_id,
        affiliate_status,
        controlling_entry_ids,
        control_pct,
        ownership_explanation
    from controlled
    where
        affiliate_status is not null
        and {{ as_of_date() }} between control_valid_from and control_valid_to
),

final as (
    select
        parties.party_id,
        parties.party_name,
        parties.party_name_local,
        parties.party_country,
        parties.party_type,
        parties.aliases,
        parties.party_type = 'military' as is_military,
        case
            when current_matches.is_listed then 'listed'
            when current_control.affiliate_status = 'listed_affiliate' then 'listed_affiliate'
            when current_matches.has_possible_match or current_control.party_id is not null then 'possible_match'
            else 'clear'
        end as screening_status,
        coalesce(current_matches.has_uel_match, false) as has_uel_match,
        current_matches.matched_entry_ids,
        current_control.controlling_entry_ids,
        current_control.control_pct as listed_owner_control_pct,
        coalesce(
            nullif(concat_ws(' ', current_matches.screening_reasons, current_control.ownership_explanation), ''),
            'No list entry listed on '
            || cast({{ as_of_date() }} as varchar)
            || ' matches, and no listed owner controls it.'
        ) as screening_explanation,
        {{ as_of_date() }} as screened_as_of
    from parties
    left join current_matches
        on parties.party_id = current_matches.party_id
    left join current_control
        on parties.party_id = current_control.party_id
)

select * from final
