-- Party screening of each declaration line (No. 61 Art. 2 and 3, RULES.md §7), as of the
-- line's export date: the consignee (the importer) and the end user, each `listed` (a
-- control or watch list entry listed on the date matches it exactly or was confirmed),
-- `listed_affiliate` (controlled by a listed party on the date), `possible_match` (a fuzzy
-- match not decided, any Unreliable Entity List match, or controlled by an owner that is
-- only a possible match), `clear`, or `not_screened` (the party id is empty or not in
-- parties). Whether the licensing outcome follows from these depends on the date (No. 61
-- Art. 2 is dated; the control list denies always): int_declaration_lines_ruled decides.
-- Statuses are worked out once per distinct (party, export date) and joined back to the lines.
with declarations as (
    select
        shipment_line_id,
        export_date,
        nullif(trim(consignee_party_id), '') as consignee_party_id,
        nullif(trim(end_user_party_id), '') as end_user_party_id
    from {{ ref('stg_customs__export_declarations') }}
),

parties as (
    select * from {{ ref('stg_parties__parties') }}
),

screened_pairs as (
    select * from {{ ref('int_parties_screened') }}
    where screening_outcome != 'dismissed'
),

-- the reading var ownership_mode selects (int_parties_ownership_resolved, its final CTE)
ownership_controls as (
    select * from {{ ref('int_parties_ownership_resolved') }}
    where affiliate_status is not null
),

ownership_cycles as (
    select * from {{ ref('int_party_ownership_cycles') }}
),

party_dates as (
    select
        consignee_party_id as party_id,
        export_date
    from declarations
    where consignee_party_id is not null
    union
    select
        end_user_party_id as party_id,
        export_date
    from declarations
    where end_user_party_id is not null
),

pair_hits as (
    select
        party_dates.party_id,
        party_dates.export_date,
        bool_or(screened_pairs.screening_outcome = 'listed') as has_listed_match,
        bool_or(
            screened_pairs.screening_outcome = 'listed' and screened_pairs.list_id = 'mofcom_control_list'
        ) as has_control_list_match,
        bool_or(screened_pairs.screening_outcome = 'possible_match') as has_possible_match,
        bool_or(screened_pairs.is_uel_match) as has_uel_match,
        string_agg(
            screened_pairs.entry_id || ' (' || screened_pairs.list_id || ', '
            || coalesce(printf('%.3f', screened_pairs.match_score), 'no score') || ', '
            || screened_pairs.screening_outcome || ')',
            '; ' order by screened_pairs.screening_outcome, screened_pairs.entry_id
        ) as matched_entries,
        list_sort(list(distinct screened_pairs.entry_id)) as matched_entry_ids,
        list_sort(list(distinct screened_pairs.list_id)) as matched_list_ids,
        string_agg(
            screened_pairs.screening_reason, ' '
            order by screened_pairs.screening_outcome, screened_pairs.entry_id
        ) as match_explanation
    from party_dates
    inner join screened_pairs
        on
            party_dates.party_id = screened_pairs.party_id
            and party_dates.export_date >= screened_pairs.listed_on
            and (screened_pairs.delisted_on is null or party_dates.export_date < screened_pairs.delisted_on)
    group by party_dates.party_id, party_dates.export_date
),

control_hits as (
    select
        party_dates.party_id,
        party_dates.export_date,
        bool_or(ownership_controls.affiliate_status = 'listed_affiliate') as is_listed_affiliate,
        string_agg(
            ownership_controls.ownership_explanation, ' '
            order by ownership_controls.control_depth, ownership_controls.ownership_control_id
        ) as ownership_explanation,
        string_agg(
            ownership_controls.controlling_entry_ids, ';'
            order by ownership_controls.control_depth, ownership_controls.ownership_control_id
        ) as controlling_entry_ids
    from party_dates
    inner join ownership_controls
        on
            party_dates.party_id = ownership_controls.party_id
            and party_dates.export_date between ownership_controls.control_valid_from
            and ownership_controls.control_valid_to
    group by party_dates.party_id, party_dates.export_date
),

cycle_members as (
    select distinct
        unnest(cycle_party_ids) as party_id,
        cycle_valid_from,
        cycle_valid_to
    from ownership_cycles
),

cycle_hits as (
    select distinct
        party_dates.party_id,
        party_dates.export_date
    from party_dates
    inner join cycle_members
        on
            party_dates.party_id = cycle_members.party_id
            and party_dates.export_date between cycle_members.cycle_valid_from and cycle_members.cycle_valid_to
),

party_date_statuses as (
    select
        party_dates.party_id,
        party_dates.export_date,
        parties.party_id is not null as is_party_found,
        parties.party_name,
        parties.party_type,
        case
            when parties.party_id is null then 'not_screened'
            when pair_hits.has_listed_match then 'listed'
            when control_hits.is_listed_affiliate then 'listed_affiliate'
            when pair_hits.has_possible_match or control_hits.party_id is not null then 'possible_match'
            else 'clear'
        end as screening_status,
        coalesce(pair_hits.has_control_list_match, false) as has_control_list_match,
        coalesce(pair_hits.has_uel_match, false) as has_uel_match,
        cycle_hits.party_id is not null as has_ownership_cycle,
        pair_hits.matched_entries,
        pair_hits.matched_entry_ids,
        pair_hits.matched_list_ids,
        control_hits.controlling_entry_ids,
        case
            when parties.party_id is null
                then party_dates.party_id || ' is not in parties: cannot be screened (missing_party), review.'
            else
                concat_ws(
                    ' ',
                    pair_hits.match_explanation,
                    control_hits.ownership_explanation,
                    case
                        when cycle_hits.party_id is not null
                            then 'The party is in an ownership cycle (data-quality finding).'
                    end,
                    case
                        when pair_hits.party_id is null and control_hits.party_id is null
                            then party_dates.party_id || ' "' || parties.party_name || '": no list entry listed on '
                                || strftime(party_dates.export_date, '%Y-%m-%d')
                                || ' matches, and no listed owner controls it.'
                    end
                )
        end as party_explanation
    from party_dates
    left join parties
        on party_dates.party_id = parties.party_id
    left join pair_hits
        on party_dates.party_id = pair_hits.party_id and party_dates.export_date = pair_hits.export_date
    left join control_hits
        on party_dates.party_id = control_hits.party_id and party_dates.export_date = control_hits.export_date
    left join cycle_hits
        on party_dates.party_id = cycle_hits.party_id and party_dates.export_date = cycle_hits.export_date
),

lines_joined as (
    select
        declarations.shipment_line_id,
        declarations.export_date,
        declarations.consignee_party_id,
        declarations.end_user_party_id,
        coalesce(consignee.screening_status, 'not_screened') as consignee_screening_status,
        coalesce(end_user.screening_status, 'not_screened') as end_user_screening_status,
        declarations.consignee_party_id is null or not consignee.is_party_found as is_consignee_missing,
        declarations.end_user_party_id is null or not end_user.is_party_found as is_end_user_missing,
        coalesce(end_user.party_type = 'military', false) as is_military_end_user,
        coalesce(consignee.has_control_list_match, false)
        or coalesce(end_user.has_control_list_match, false) as is_control_list_party,
        coalesce(consignee.party_type = 'military', false) as is_military_consignee,
        coalesce(consignee.has_uel_match, false) or coalesce(end_user.has_uel_match, false) as has_uel_match,
        coalesce(consignee.has_ownership_cycle, false)
        or coalesce(end_user.has_ownership_cycle, false) as has_ownership_cycle,
        list_sort(list_distinct(list_concat(
            coalesce(consignee.matched_entry_ids, []), coalesce(end_user.matched_entry_ids, [])
        ))) as matched_entry_id_list,
        list_sort(list_distinct(list_concat(
            coalesce(consignee.matched_list_ids, []), coalesce(end_user.matched_list_ids, [])
        ))) as matched_list_id_list,
        concat_ws(
            '; ',
            'consignee: ' || consignee.matched_entries,
            case
                when declarations.end_user_party_id is distinct from declarations.consignee_party_id
                    then 'end user: ' || end_user.matched_entries
            end
        ) as matched_entries,
        concat_ws(
            '; ',
            'consignee: ' || consignee.controlling_entry_ids,
            case
                when declarations.end_user_party_id is distinct from declarations.consignee_party_id
                    then 'end user: ' || end_user.controlling_entry_ids
            end
        ) as controlling_entry_ids,
        case
            when declarations.consignee_party_id is null and declarations.end_user_party_id is null
                then 'Consignee and end user: no party id on the line (missing_party), review.'
            when declarations.consignee_party_id = declarations.end_user_party_id
                then 'Consignee and end user ' || declarations.consignee_party_id || ' ('
                    || consignee.screening_status || '): ' || consignee.party_explanation
            else
                concat_ws(
                    ' ',
                    'Consignee ' || coalesce(declarations.consignee_party_id, '(none)') || ' ('
                    || coalesce(consignee.screening_status, 'not_screened') || '): '
                    || coalesce(consignee.party_explanation, 'no party id on the line (missing_party), review.'),
                    'End user ' || coalesce(declarations.end_user_party_id, '(none)') || ' ('
                    || coalesce(end_user.screening_status, 'not_screened') || '): '
                    || coalesce(end_user.party_explanation, 'no party id on the line (missing_party), review.')
                )
        end as screening_explanation_parties,
        case
            when end_user.party_type = 'military'
                then ' End user ' || declarations.end_user_party_id
                    || ' is a military end user (party_type military).'
            else ''
        end as military_explanation
    from declarations
    left join party_date_statuses as consignee
        on
            declarations.consignee_party_id = consignee.party_id
            and declarations.export_date = consignee.export_date
    left join party_date_statuses as end_user
        on
            declarations.end_user_party_id = end_user.party_id
            and declarations.export_date = end_user.export_date
),

-- Worst status first; a party that cannot be screened counts as a possible match (review).
status_ranked as (
    select
        *,
        least(
            case consignee_screening_status
                when 'listed' then 1 when 'listed_affiliate' then 2 when 'clear' then 4 else 3
            end,
            case end_user_screening_status
                when 'listed' then 1 when 'listed_affiliate' then 2 when 'clear' then 4 else 3
            end
        ) as screening_status_rank
    from lines_joined
),

final as (
    select
        shipment_line_id,
        export_date,
        consignee_party_id,
        end_user_party_id,
        consignee_screening_status,
        end_user_screening_status,
        case screening_status_rank
            when 1 then 'listed'
            when 2 then 'listed_affiliate'
            when 3 then 'possible_match'
            else 'clear'
        end as screening_status,
        screening_status_rank,
        case
            when screening_status_rank <= 2 or is_military_end_user then 'deny_presumption'
            else 'standard'
        end as party_licensing_outcome,
        is_military_end_user,
        is_control_list_party,
        is_military_consignee,
        has_uel_match,
        is_consignee_missing,
        is_end_user_missing,
        is_consignee_missing or is_end_user_missing as is_party_missing,
        has_ownership_cycle,
        concat_ws(
            ';',
            case when is_consignee_missing or is_end_user_missing then 'missing_party' end,
            case when has_ownership_cycle then 'ownership_cycle' end
        ) as party_data_quality_flags,
        nullif(array_to_string(matched_entry_id_list, ';'), '') as matched_entry_ids,
        nullif(array_to_string(matched_list_id_list, ';'), '') as matched_list_ids,
        nullif(matched_entries, '') as matched_entries,
        nullif(controlling_entry_ids, '') as controlling_entry_ids,
        screening_explanation_parties || military_explanation as screening_explanation
    from status_ranked
)

select * from final
