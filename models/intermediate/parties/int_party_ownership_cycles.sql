{#- Ownership cycles (a data-quality finding: a party that owns itself through any path of
    edges valid at the same time). A recursive walk from every party over every edge keeps the
    path of parties visited and the interval on which all its edges are valid; it never
    steps onto a party already on the path (list_contains) and stops at ownership_max_depth.
    A step back onto the path's first party closes a cycle; each cycle is reported once,
    from its smallest party_id. -#}
{%- set max_depth = var('ownership_max_depth', 10) | int -%}

with recursive ownerships as (
    select * from {{ ref('stg_parties__ownerships') }}
),

edges as (
    select
        owner_party_id,
        owned_party_id,
        ownership_pct,
        valid_from,
        valid_to
    from ownerships
    where valid_to >= valid_from
),

ownership_walk as (
    select
        owner_party_id as start_party_id,
        owned_party_id as current_party_id,
        {{ array_of(['owner_party_id', 'owned_party_id']) }} as party_path,
        owner_party_id || ' → ' || {{ trim_decimal_zeros('ownership_pct') }} || ' % → '
        || owned_party_id as path_text,
        valid_from as path_valid_from,
        valid_to as path_valid_to,
        owner_party_id = owned_party_id as is_cycle,
        1 as path_depth
    from edges
    union all
    select
        ownership_walk.start_party_id,
        edges.owned_party_id as current_party_id,
        {{ array_append_item('ownership_walk.party_path', 'edges.owned_party_id') }} as party_path,
        ownership_walk.path_text || ' → ' || {{ trim_decimal_zeros('edges.ownership_pct') }}
        || ' % → ' || edges.owned_party_id as path_text,
        greatest(ownership_walk.path_valid_from, edges.valid_from) as path_valid_from,
        least(ownership_walk.path_valid_to, edges.valid_to) as path_valid_to,
        edges.owned_party_id = ownership_walk.start_party_id as is_cycle,
        ownership_walk.path_depth + 1 as path_depth
    from ownership_walk
    inner join edges
        on ownership_walk.current_party_id = edges.owner_party_id
    where
        not ownership_walk.is_cycle
        and ownership_walk.path_depth < {{ max_depth }}
        and greatest(ownership_walk.path_valid_from, edges.valid_from)
        <= least(ownership_walk.path_valid_to, edges.valid_to)
        and (
            edges.owned_party_id = ownership_walk.start_party_id
            or not {{ array_has('ownership_walk.party_path', 'edges.owned_party_id') }}
        )
),

cycles as (
    select *
    from ownership_walk
    where
        is_cycle
        and start_party_id = {{ array_least('party_path') }}
),

final as (
    select
        {{ array_text('party_path', "'>'") }} || '@' || {{ date_text('path_valid_from') }} as ownership_cycle_id,
        start_party_id,
        {{ array_sorted_distinct('party_path') }} as cycle_party_ids,
        path_depth as cycle_length,
        path_valid_from as cycle_valid_from,
        path_valid_to as cycle_valid_to,
        'Ownership cycle: ' || path_text || ', valid ' || {{ date_text('path_valid_from') }} || ' to '
        || {{ date_text('path_valid_to') }} || ' (data-quality finding: ownership data to be corrected).'
            as cycle_explanation
    from cycles
)

select * from final
