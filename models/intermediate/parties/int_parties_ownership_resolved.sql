{#- Listed affiliates (No. 61 Art. 2, RULES.md §7): parties controlled >= listed_owner_control_pct
    by a party whose screening is `listed`, as of each date.

    Dates: every listing interval and ownership edge is cut into elementary intervals (the
    dates between two consecutive start/end dates of any of them), over which the set of
    listed parties and of valid edges is constant. Only the part of the ownership graph
    reachable from a listed party is cut, so the work is small whatever the number of lines.

    Control is resolved per interval by rounds (a bounded fixpoint), round k adding the
    parties controlled through k links:
    - chain: a party is controlled when one controlled (or listed) owner holds
      >= listed_owner_control_pct of it directly, so every link of the chain is >= the
      threshold (60 % x 60 % -> controlled; the product is not used);
    - aggregate: a party is controlled when the holdings of all its listed or controlled
      owners sum to >= the threshold (direct holdings of listed owners plus the full holdings
      of intermediates that are themselves controlled, as under the OFAC 50 % rule; holdings
      are not multiplied down the chain).
    A party already controlled is never added again, so an ownership cycle cannot loop: it
    ends after at most ownership_max_depth rounds (cycles are reported by
    int_party_ownership_cycles). -#}
{%- set ownership_mode = var('ownership_mode') -%}
{%- set max_depth = var('ownership_max_depth', 10) | int -%}
{%- set control_pct = var('listed_owner_control_pct') -%}
{%- if ownership_mode not in ['chain', 'aggregate'] -%}
    {{ exceptions.raise_compiler_error("ownership_mode must be 'chain' or 'aggregate', got '" ~ ownership_mode ~ "'") }}
{%- endif -%}
{#- the largest holding wins; a tie goes to the same owner for every column (two builds agree) -#}
{%- set holding_order -%}row(active_edges.ownership_pct, owners.party_id, owners.control_chain){%- endset -%}
{%- set pct_text -%}regexp_replace(cast(active_edges.ownership_pct as varchar), '\.?0+$', ''){%- endset -%}

with recursive listed_screenings as (
    select * from {{ ref('int_parties_screened') }}
    where screening_outcome = 'listed'
),

ownerships as (
    select * from {{ ref('stg_parties__ownerships') }}
),

parties as (
    select * from {{ ref('stg_parties__parties') }}
),

listed_anchors as (
    select
        party_id,
        entry_id,
        list_id,
        listed_on as anchor_from,
        coalesce(delisted_on, date '9999-12-31') as anchor_until
    from listed_screenings
    where coalesce(delisted_on, date '9999-12-31') > listed_on
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
        elementary_intervals.interval_from,
        elementary_intervals.interval_until,
        list_sort(list(distinct listed_anchors.entry_id)) as controlling_entry_ids,
        string_agg(
            distinct listed_anchors.entry_id || ' on ' || listed_anchors.list_id, ', '
            order by listed_anchors.entry_id || ' on ' || listed_anchors.list_id
        ) as listing_text
    from listed_anchors
    inner join elementary_intervals
        on
            listed_anchors.anchor_from <= elementary_intervals.interval_from
            and listed_anchors.anchor_until >= elementary_intervals.interval_until
    group by listed_anchors.party_id, elementary_intervals.interval_from, elementary_intervals.interval_until
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
        anchor_intervals.interval_from,
        anchor_intervals.interval_until,
        0 as control_depth,
        cast(null as decimal(38, 12)) as control_pct,
        anchor_intervals.controlling_entry_ids,
        anchor_intervals.party_id || ' "' || parties.party_name || '" (listed: '
        || anchor_intervals.listing_text || ')' as control_chain,
        anchor_intervals.party_id || ' "' || parties.party_name || '" (listed: '
        || anchor_intervals.listing_text || ')' as owner_label
    from anchor_intervals
    inner join parties
        on anchor_intervals.party_id = parties.party_id
),
{% for round in range(1, max_depth + 1) %}
reached_{{ round }} as (
    select
        active_edges.owned_party_id as party_id,
        active_edges.interval_from,
        active_edges.interval_until,
    {%- if ownership_mode == 'chain' %}
    max(active_edges.ownership_pct) as control_pct,
    arg_max(owners.controlling_entry_ids, {{ holding_order }}) as controlling_entry_ids,
    arg_max(
        owners.control_chain || ' → ' || {{ pct_text }} || ' % → ', {{ holding_order }}
    ) as control_chain
    {%- else %}
        sum(active_edges.ownership_pct) as control_pct,
        list_sort(list_distinct(flatten(list(owners.controlling_entry_ids)))) as controlling_entry_ids,
        string_agg(
            {{ pct_text }} || ' % by ' || owners.owner_label, ' + '
            order by active_edges.ownership_pct desc, owners.party_id asc, owners.owner_label asc
        ) as control_chain
        {%- endif %}
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
        )
    group by active_edges.owned_party_id, active_edges.interval_from, active_edges.interval_until
    having {% if ownership_mode == 'chain' %}max{% else %}sum{% endif %}(active_edges.ownership_pct)
        >= {{ control_pct }}
),

controlled_{{ round }} as materialized (
    select * from controlled_{{ round - 1 }}
    union all
    select
        reached_{{ round }}.party_id,
        reached_{{ round }}.interval_from,
        reached_{{ round }}.interval_until,
        {{ round }} as control_depth,
        reached_{{ round }}.control_pct,
        reached_{{ round }}.controlling_entry_ids,
        {%- if ownership_mode == 'chain' %}
        reached_{{ round }}.control_chain || reached_{{ round }}.party_id
        || coalesce(' "' || parties.party_name || '"', ' (not in parties)') as control_chain,
        {%- else %}
        reached_{{ round }}.party_id || coalesce(' "' || parties.party_name || '"', ' (not in parties)') || ' owned '
        || reached_{{ round }}.control_chain || ' = '
        || regexp_replace(cast(reached_{{ round }}.control_pct as varchar), '\.?0+$', '') || ' %'
            as control_chain,
        {%- endif %}
        reached_{{ round }}.party_id || coalesce(' "' || parties.party_name || '"', ' (not in parties)')
        || ' (listed affiliate)' as owner_label
    from reached_{{ round }}
    left join parties
        on reached_{{ round }}.party_id = parties.party_id
),
{% endfor %}

-- Adjacent intervals on which nothing about the party's control changed are merged.
controlled_islands as (
    select
        *,
        sum(case when is_new_island then 1 else 0 end) over (
            partition by party_id order by interval_from rows unbounded preceding
        ) as island_number
    from (
        select
            *,
            coalesce(
                lag(interval_until) over control_window != interval_from
                or lag(control_chain) over control_window != control_chain
                or lag(control_pct) over control_window != control_pct,
                true
            ) as is_new_island
        from controlled_{{ max_depth }}
        where control_depth > 0
        window control_window as (partition by party_id order by interval_from)
    ) as controlled_intervals
),

controlled_merged as (
    select
        party_id,
        min(interval_from) as interval_from,
        max(interval_until) as interval_until,
        arg_min(control_depth, interval_from) as control_depth,
        arg_min(control_pct, interval_from) as control_pct,
        arg_min(controlling_entry_ids, interval_from) as controlling_entry_ids,
        arg_min(control_chain, interval_from) as control_chain
    from controlled_islands
    group by party_id, island_number
),

final as (
    select
        party_id || '@' || strftime(interval_from, '%Y-%m-%d') as ownership_control_id,
        party_id,
        interval_from as control_valid_from,
        case
            when interval_until >= date '9999-12-31' then date '9999-12-31'
            else interval_until - 1
        end as control_valid_to,
        '{{ ownership_mode }}' as ownership_mode,
        control_pct,
        control_depth,
        array_to_string(controlling_entry_ids, ';') as controlling_entry_ids,
        control_depth = {{ max_depth }} as is_depth_cap_reached,
        {%- if ownership_mode == 'chain' %}
        'Controlled through a chain of holdings each >= {{ control_pct }} %: ' || control_chain || '.'
        {%- else %}
        'Controlled in aggregate (>= {{ control_pct }} %): ' || control_chain || '.'
        {%- endif %}
            as ownership_explanation
    from controlled_merged
)

select * from final
