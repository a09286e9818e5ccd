{#- Listed affiliates (No. 61 Art. 2, RULES.md §7): parties controlled >= listed_owner_control_pct
    by a party whose screening is `listed`, as of each date, in both ownership readings.

    Dates: every listing interval and ownership edge is cut into elementary intervals (the
    dates between two consecutive start/end dates of any of them), over which the set of
    listed parties and of valid edges is constant. Only the part of the ownership graph
    reachable from a listed (or possibly listed) party is cut, so the work is small
    whatever the number of lines.

    Control is resolved per interval by rounds (a bounded fixpoint), round k adding the
    parties controlled through k links, for each reading at once:
    - chain: a party is controlled when one controlled (or listed) owner holds
      >= listed_owner_control_pct of it directly, so every link of the chain is >= the
      threshold (60 % x 60 % -> controlled; the product is not used);
    - aggregate: a party is controlled when the holdings of all its listed or controlled
      owners sum to >= the threshold (direct holdings of listed owners plus the full holdings
      of intermediates that are themselves controlled, as under the OFAC 50 % rule; holdings
      are not multiplied down the chain).
    and for each anchor kind: `listed` (owners whose screening is listed) and `possible`
    (listed or an undecided possible match on the control or watch list): a party that is
    controlled only when possible matches count is a `possible_affiliate` (review), so an
    owner that is only a possible match passes possible_match down. Unreliable Entity List
    matches are not anchors (a separate regime without a 50 % rule; the matched party
    itself is always reviewed).
    A party already controlled is never added again, so an ownership cycle cannot loop: it
    ends after at most ownership_max_depth rounds (cycles are reported by
    int_party_ownership_cycles). Both readings are columns (`_chain`, `_aggregate`); var
    ownership_mode only selects the unsuffixed columns in the final CTE. -#}
{%- set ownership_mode = var('ownership_mode') -%}
{%- set max_depth = var('ownership_max_depth', 10) | int -%}
{%- set control_pct = var('listed_owner_control_pct') -%}
{%- if ownership_mode not in ['chain', 'aggregate'] -%}
    {{ exceptions.raise_compiler_error("ownership_mode must be 'chain' or 'aggregate', got '" ~ ownership_mode ~ "'") }}
{%- endif -%}
{#- the largest holding wins; a tie goes to the same owner for every column (two builds agree) -#}
{%- set holding_order -%}row(active_edges.ownership_pct, owners.party_id, owners.control_chain){%- endset -%}
{%- set pct_text -%}regexp_replace(cast(active_edges.ownership_pct as varchar), '\.?0+$', ''){%- endset -%}
{%- set label_sql -%}
    || ' "' || parties.party_name || '" ('
    || case anchor_intervals.anchor_kind when 'listed' then 'listed: ' else 'listed or possible match: ' end
    || anchor_intervals.listing_text || ')'
{%- endset %}

with recursive anchor_screenings as (
    select * from {{ ref('int_parties_screened') }}
    where
        screening_outcome = 'listed'
        or (screening_outcome = 'possible_match' and list_id != 'unreliable_entity_list')
),

ownerships as (
    select * from {{ ref('stg_parties__ownerships') }}
),

parties as (
    select * from {{ ref('stg_parties__parties') }}
),

anchor_kinds as (
    select unnest(['listed', 'possible']) as anchor_kind
),

-- A listed party anchors both kinds; a possible match only the `possible` kind.
listed_anchors as (
    select
        anchor_screenings.party_id,
        anchor_screenings.entry_id,
        anchor_screenings.list_id,
        anchor_screenings.screening_outcome,
        anchor_kinds.anchor_kind,
        anchor_screenings.listed_on as anchor_from,
        coalesce(anchor_screenings.delisted_on, date '9999-12-31') as anchor_until
    from anchor_screenings
    inner join anchor_kinds
        on anchor_screenings.screening_outcome = 'listed' or anchor_kinds.anchor_kind = 'possible'
    where coalesce(anchor_screenings.delisted_on, date '9999-12-31') > anchor_screenings.listed_on
),

ownership_modes as (
    select unnest(['chain', 'aggregate']) as ownership_mode
),

-- Half-open [edge_from, edge_until) from the inclusive valid_to.
edges as (
    select
        owner_party_id,
        owned_party_id,
        ownership_pct,
        valid_from as edge_from,
        valid_to + 1 as edge_until
    from ownerships
    where valid_to >= valid_from
),

reachable_parties as (
    select party_id from listed_anchors
    union
    select edges.owned_party_id as party_id
    from reachable_parties
    inner join edges
        on reachable_parties.party_id = edges.owner_party_id
),

relevant_edges as (
    select edges.*
    from edges
    inner join reachable_parties
        on edges.owner_party_id = reachable_parties.party_id
),

breakpoints as (
    select anchor_from as breakpoint_date from listed_anchors
    union
    select anchor_until as breakpoint_date from listed_anchors
    union
    select edge_from as breakpoint_date from relevant_edges
    union
    select edge_until as breakpoint_date from relevant_edges
),

elementary_intervals as (
    select
        breakpoint_date as interval_from,
        lead(breakpoint_date) over (order by breakpoint_date) as interval_until
    from breakpoints
    qualify interval_until is not null
),

anchor_intervals as (
    select
        listed_anchors.party_id,
        listed_anchors.anchor_kind,
        elementary_intervals.interval_from,
        elementary_intervals.interval_until,
        list_sort(list(distinct listed_anchors.entry_id)) as controlling_entry_ids,
        string_agg(
            distinct listed_anchors.entry_id || ' on ' || listed_anchors.list_id
            || case when listed_anchors.screening_outcome = 'possible_match' then ', possible match' else '' end,
            ', '
            order by
                listed_anchors.entry_id || ' on ' || listed_anchors.list_id
                || case when listed_anchors.screening_outcome = 'possible_match' then ', possible match' else '' end
        ) as listing_text
    from listed_anchors
    inner join elementary_intervals
        on
            listed_anchors.anchor_from <= elementary_intervals.interval_from
            and listed_anchors.anchor_until >= elementary_intervals.interval_until
    group by
        listed_anchors.party_id,
        listed_anchors.anchor_kind,
        elementary_intervals.interval_from,
        elementary_intervals.interval_until
),

-- One holding per (owner, owned, interval): overlapping edge rows are not added up.
active_edges as (
    select
        relevant_edges.owner_party_id,
        relevant_edges.owned_party_id,
        elementary_intervals.interval_from,
        elementary_intervals.interval_until,
        max(relevant_edges.ownership_pct) as ownership_pct
    from relevant_edges
    inner join elementary_intervals
        on
            relevant_edges.edge_from <= elementary_intervals.interval_from
            and relevant_edges.edge_until >= elementary_intervals.interval_until
    group by all
),

controlled_0 as materialized (
    select
        anchor_intervals.party_id,
        ownership_modes.ownership_mode,
        anchor_intervals.anchor_kind,
        anchor_intervals.interval_from,
        anchor_intervals.interval_until,
        0 as control_depth,
        cast(null as decimal(38, 12)) as control_pct,
        anchor_intervals.controlling_entry_ids,
        anchor_intervals.party_id {{ label_sql }} as control_chain,
        anchor_intervals.party_id {{ label_sql }} as owner_label
    from anchor_intervals
    cross join ownership_modes
    inner join parties
        on anchor_intervals.party_id = parties.party_id
),
{% for round in range(1, max_depth + 1) %}
reached_{{ round }} as (
    select
        active_edges.owned_party_id as party_id,
        owners.ownership_mode,
        owners.anchor_kind,
        active_edges.interval_from,
        active_edges.interval_until,
        case owners.ownership_mode
            when 'chain' then max(active_edges.ownership_pct)
            else sum(active_edges.ownership_pct)
        end as control_pct,
        case owners.ownership_mode
            when 'chain' then arg_max(owners.controlling_entry_ids, {{ holding_order }})
            else list_sort(list_distinct(flatten(list(owners.controlling_entry_ids))))
        end as controlling_entry_ids,
        case owners.ownership_mode
            when 'chain'
                then arg_max(owners.control_chain || ' → ' || {{ pct_text }} || ' % → ', {{ holding_order }})
            else
                string_agg(
                    {{ pct_text }} || ' % by ' || owners.owner_label, ' + '
                    order by active_edges.ownership_pct desc, owners.party_id asc, owners.owner_label asc
                )
        end as control_chain
    from active_edges
    inner join controlled_{{ round - 1 }} as owners
        on
            active_edges.owner_party_id = owners.party_id
            and active_edges.interval_from = owners.interval_from
    where not exists (
            select 1
            from controlled_{{ round - 1 }} as known
            where
                known.party_id = active_edges.owned_party_id
                and known.interval_from = active_edges.interval_from
                and known.ownership_mode = owners.ownership_mode
                and known.anchor_kind = owners.anchor_kind
        )
    group by
        active_edges.owned_party_id,
        owners.ownership_mode,
        owners.anchor_kind,
        active_edges.interval_from,
        active_edges.interval_until
    having
        case owners.ownership_mode
            when 'chain' then max(active_edges.ownership_pct)
            else sum(active_edges.ownership_pct)
        end >= {{ control_pct }}
),

controlled_{{ round }} as materialized (
    select * from controlled_{{ round - 1 }}
    union all
    select
        reached_{{ round }}.party_id,
        reached_{{ round }}.ownership_mode,
        reached_{{ round }}.anchor_kind,
        reached_{{ round }}.interval_from,
        reached_{{ round }}.interval_until,
        {{ round }} as control_depth,
        reached_{{ round }}.control_pct,
        reached_{{ round }}.controlling_entry_ids,
        case reached_{{ round }}.ownership_mode
            when 'chain'
                then reached_{{ round }}.control_chain || reached_{{ round }}.party_id
                    || coalesce(' "' || parties.party_name || '"', ' (not in parties)')
            else
                reached_{{ round }}.party_id || coalesce(' "' || parties.party_name || '"', ' (not in parties)')
                || ' owned ' || reached_{{ round }}.control_chain || ' = '
                || regexp_replace(cast(reached_{{ round }}.control_pct as varchar), '\.?0+$', '') || ' %'
        end as control_chain,
        reached_{{ round }}.party_id || coalesce(' "' || parties.party_name || '"', ' (not in parties)')
        || case reached_{{ round }}.anchor_kind
            when 'listed' then ' (listed affiliate)'
            else ' (possibly a listed affiliate)'
        end as owner_label
    from reached_{{ round }}
    left join parties
        on reached_{{ round }}.party_id = parties.party_id
),
{% endfor %}

-- Per reading, the strongest finding: controlled by listed owners (listed_affiliate)
-- before controlled only when possible matches count (possible_affiliate).
reading_findings as (
    select
        party_id,
        ownership_mode,
        interval_from,
        interval_until,
        case anchor_kind when 'listed' then 'listed_affiliate' else 'possible_affiliate' end as affiliate_status,
        control_pct,
        control_depth,
        controlling_entry_ids,
        control_chain
    from controlled_{{ max_depth }}
    where control_depth > 0
    qualify row_number() over (
            partition by party_id, ownership_mode, interval_from
            order by anchor_kind = 'listed' desc
        ) = 1
),

chain_findings as (
    select * from reading_findings
    where ownership_mode = 'chain'
),

aggregate_findings as (
    select * from reading_findings
    where ownership_mode = 'aggregate'
),

readings_side_by_side as (
    select
        {%- for reading in ['chain', 'aggregate'] %}
        {{ reading }}_findings.affiliate_status as affiliate_status_{{ reading }},
        {{ reading }}_findings.control_pct as control_pct_{{ reading }},
        {{ reading }}_findings.control_depth as control_depth_{{ reading }},
        {{ reading }}_findings.controlling_entry_ids as controlling_entry_ids_{{ reading }},
        {{ reading }}_findings.control_chain as control_chain_{{ reading }},
        {%- endfor %}
        coalesce(chain_findings.party_id, aggregate_findings.party_id) as party_id,
        coalesce(chain_findings.interval_from, aggregate_findings.interval_from) as interval_from,
        coalesce(chain_findings.interval_until, aggregate_findings.interval_until) as interval_until
    from chain_findings
    full outer join aggregate_findings
        on
            chain_findings.party_id = aggregate_findings.party_id
            and chain_findings.interval_from = aggregate_findings.interval_from
),

-- Adjacent intervals on which nothing about the party's control changed (in either
-- reading) are merged.
controlled_intervals as (
    select
        *,
        coalesce(
            lag(interval_until) over control_window != interval_from
            {%- for reading in ['chain', 'aggregate'] %}
            or lag(affiliate_status_{{ reading }}) over control_window is distinct from affiliate_status_{{ reading }}
            or lag(control_chain_{{ reading }}) over control_window is distinct from control_chain_{{ reading }}
            or lag(control_pct_{{ reading }}) over control_window is distinct from control_pct_{{ reading }}
            {%- endfor %},
            true
        ) as is_new_island
    from readings_side_by_side
    window control_window as (partition by party_id order by interval_from)
),

controlled_islands as (
    select
        *,
        sum(case when is_new_island then 1 else 0 end) over (
            partition by party_id order by interval_from rows unbounded preceding
        ) as island_number
    from controlled_intervals
),

controlled_merged as (
    select
        {%- for reading in ['chain', 'aggregate'] %}
        arg_min(affiliate_status_{{ reading }}, interval_from) as affiliate_status_{{ reading }},
        arg_min(control_pct_{{ reading }}, interval_from) as control_pct_{{ reading }},
        arg_min(control_depth_{{ reading }}, interval_from) as control_depth_{{ reading }},
        arg_min(controlling_entry_ids_{{ reading }}, interval_from) as controlling_entry_ids_{{ reading }},
        arg_min(control_chain_{{ reading }}, interval_from) as control_chain_{{ reading }},
        {%- endfor %}
        party_id,
        min(interval_from) as interval_from,
        max(interval_until) as interval_until
    from controlled_islands
    group by party_id, island_number
),

readings as (
    select
        {%- for reading in ['chain', 'aggregate'] %}
        affiliate_status_{{ reading }},
        control_pct_{{ reading }},
        control_depth_{{ reading }},
        array_to_string(controlling_entry_ids_{{ reading }}, ';') as controlling_entry_ids_{{ reading }},
        coalesce(control_depth_{{ reading }} = {{ max_depth }}, false) as is_depth_cap_reached_{{ reading }},
        case affiliate_status_{{ reading }}
            when 'possible_affiliate' then 'Possibly controlled (an owner is only a possible match, review) '
            when 'listed_affiliate' then 'Controlled '
        end
        {%- if reading == 'chain' %}
        || 'through a chain of holdings each >= {{ control_pct }} %: '
        {%- else %}
        || 'in aggregate (>= {{ control_pct }} %): '
        {%- endif %}
        || control_chain_{{ reading }} || '.' as ownership_explanation_{{ reading }},
        {%- endfor %}
        party_id || '@' || strftime(interval_from, '%Y-%m-%d') as ownership_control_id,
        party_id,
        interval_from as control_valid_from,
        case
            when interval_until >= date '9999-12-31' then date '9999-12-31'
            else interval_until - 1
        end as control_valid_to
    from controlled_merged
),

-- The one place var ownership_mode selects a reading.
final as (
    select
        *,
        '{{ ownership_mode }}' as ownership_mode,
        affiliate_status_{{ ownership_mode }} as affiliate_status,
        control_pct_{{ ownership_mode }} as control_pct,
        control_depth_{{ ownership_mode }} as control_depth,
        controlling_entry_ids_{{ ownership_mode }} as controlling_entry_ids,
        is_depth_cap_reached_{{ ownership_mode }} as is_depth_cap_reached,
        ownership_explanation_{{ ownership_mode }} as ownership_explanation
    from readings
)

select * from final
