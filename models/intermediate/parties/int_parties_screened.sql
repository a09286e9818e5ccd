-- Screening candidates: one row per (party, restricted-list entry) pair that the name
-- matcher found (exact normalised match, or Jaro-Winkler >= screening_fuzzy_threshold on any
-- pair of names, local names and aliases) or that an analyst decided. Not dated: the
-- entry's listing interval is carried, and a shipment line counts the pair only while the
-- entry is listed on its export date (listed_on <= export_date < delisted_on).
-- Analyst decisions override the matcher: false_positive dismisses the pair,
-- confirmed_match makes it a listed match. Unreliable Entity List pairs are always
-- possible_match: a separate regime, always reviewed.
with screening_names as (
    select * from {{ ref('int_screening_names_normalised') }}
),

parties as (
    select * from {{ ref('stg_parties__parties') }}
),

list_entries as (
    select * from {{ ref('stg_reference__restricted_parties') }}
),

screening_decisions as (
    select * from {{ ref('stg_reference__screening_decisions') }}
),

party_names as (
    select * from screening_names
    where subject_kind = 'party'
),

entry_names as (
    select * from screening_names
    where subject_kind = 'list_entry'
),

-- Compare each distinct normalised string once (parties x entries share many strings).
party_strings as (
    select distinct name_normalised from party_names
),

entry_strings as (
    select distinct name_normalised from entry_names
),

string_pairs as (
    select
        party_strings.name_normalised as party_name_normalised,
        entry_strings.name_normalised as entry_name_normalised,
        party_strings.name_normalised = entry_strings.name_normalised as is_exact_match,
        case
            when party_strings.name_normalised = entry_strings.name_normalised then 1.0
            else jaro_winkler_similarity(party_strings.name_normalised, entry_strings.name_normalised)
        end as match_score
    from party_strings
    cross join entry_strings
    where
        party_strings.name_normalised = entry_strings.name_normalised
        or jaro_winkler_similarity(party_strings.name_normalised, entry_strings.name_normalised)
        >= {{ var('screening_fuzzy_threshold') }}
),

name_matches as (
    select
        party_names.subject_id as party_id,
        entry_names.subject_id as entry_id,
        party_names.name_kind as party_name_kind,
        party_names.name_raw as party_name_matched,
        entry_names.name_kind as entry_name_kind,
        entry_names.name_raw as entry_name_matched,
        string_pairs.party_name_normalised,
        string_pairs.entry_name_normalised,
        string_pairs.is_exact_match,
        string_pairs.match_score
    from string_pairs
    inner join party_names
        on string_pairs.party_name_normalised = party_names.name_normalised
    inner join entry_names
        on string_pairs.entry_name_normalised = entry_names.name_normalised
),

best_matches as (
    select *
    from name_matches
    qualify row_number() over (
            partition by party_id, entry_id
            order by
                match_score desc,
                party_name_kind = 'name' desc,
                entry_name_kind = 'name' desc,
                party_name_matched,
                entry_name_matched asc
        ) = 1
),

candidate_pairs as (
    select
        party_id,
        entry_id
    from best_matches
    union
    select
        party_id,
        entry_id
    from screening_decisions
),

candidates as (
    select
        candidate_pairs.party_id,
        candidate_pairs.entry_id,
        parties.party_name,
        list_entries.list_id,
        list_entries.entry_name,
        list_entries.entry_country,
        list_entries.listed_on,
        list_entries.delisted_on,
        list_entries.source_ref as entry_source_ref,
        best_matches.party_name_kind,
        best_matches.party_name_matched,
        best_matches.entry_name_kind,
        best_matches.entry_name_matched,
        best_matches.party_name_normalised,
        best_matches.entry_name_normalised,
        best_matches.match_score,
        case
            when best_matches.is_exact_match then 'exact'
            when best_matches.match_score is not null then 'fuzzy'
            else 'none'
        end as match_method,
        screening_decisions.decision as analyst_decision,
        screening_decisions.decided_on as analyst_decided_on,
        screening_decisions.decided_by as analyst_decided_by,
        screening_decisions.decision_note as analyst_decision_note
    from candidate_pairs
    -- A decision naming an unknown party or entry has nothing to override: left out.
    inner join parties
        on candidate_pairs.party_id = parties.party_id
    inner join list_entries
        on candidate_pairs.entry_id = list_entries.entry_id
    left join best_matches
        on
            candidate_pairs.party_id = best_matches.party_id
            and candidate_pairs.entry_id = best_matches.entry_id
    left join screening_decisions
        on
            candidate_pairs.party_id = screening_decisions.party_id
            and candidate_pairs.entry_id = screening_decisions.entry_id
),

outcomes as (
    select
        *,
        case
            when analyst_decision = 'false_positive' then 'dismissed'
            when list_id = 'unreliable_entity_list' then 'possible_match'
            when analyst_decision = 'confirmed_match' then 'listed'
            when match_method = 'exact' then 'listed'
            else 'possible_match'
        end as screening_outcome,
        case
            when match_method = 'exact'
                then 'exact match after normalisation (' || party_name_kind || ' "' || party_name_matched || '" = '
                    || entry_name_kind || ' "' || entry_name_matched || '", score 1.000)'
            when match_method = 'fuzzy'
                then 'fuzzy match (' || party_name_kind || ' "' || party_name_matched || '" ~ '
                    || entry_name_kind || ' "' || entry_name_matched || '", Jaro-Winkler '
                    || printf('%.3f', match_score) || ' >= ' || printf('%.3f', {{ var('screening_fuzzy_threshold') }})
                    || ')'
            else 'no name match by the matcher'
        end as match_description
    from candidates
),

final as (
    select
        party_id || '|' || entry_id as party_screening_id,
        party_id,
        entry_id,
        list_id,
        party_name,
        entry_name,
        entry_country,
        listed_on,
        delisted_on,
        entry_source_ref,
        match_method,
        match_score,
        party_name_kind,
        party_name_matched,
        entry_name_kind,
        entry_name_matched,
        party_name_normalised,
        entry_name_normalised,
        analyst_decision,
        analyst_decided_on,
        analyst_decided_by,
        analyst_decision_note,
        screening_outcome,
        list_id = 'unreliable_entity_list' and screening_outcome != 'dismissed' as is_uel_match,
        'Party ' || party_id || ' "' || party_name || '" vs ' || list_id || ' entry ' || entry_id || ' "'
        || entry_name || '" (listed ' || strftime(listed_on, '%Y-%m-%d')
        || coalesce(', delisted ' || strftime(delisted_on, '%Y-%m-%d'), '') || '): ' || match_description
        || case
            when analyst_decision = 'false_positive'
                then '; dismissed by analyst decision false_positive'
                    || coalesce(' of ' || strftime(analyst_decided_on, '%Y-%m-%d'), '')
                    || coalesce(' by ' || analyst_decided_by, '')
            when analyst_decision = 'confirmed_match'
                then '; confirmed by analyst decision'
                    || coalesce(' of ' || strftime(analyst_decided_on, '%Y-%m-%d'), '')
                    || coalesce(' by ' || analyst_decided_by, '')
            else ''
        end
        || case screening_outcome
            when 'dismissed' then '.'
            when 'listed' then ': listed.'
            else
                case
                    when list_id = 'unreliable_entity_list'
                        then ': Unreliable Entity List, a separate regime, always reviewed.'
                    else ': possible match, not decided by an analyst, review.'
                end
        end as screening_reason
    from outcomes
)

select * from final
