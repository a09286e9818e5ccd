-- Every path from an item down through its bill of materials, with the quantity per unit
-- of the root multiplied along the path and the interval on which every line of the path
-- is valid. Explosion is by validity interval, not per day: a path row says "from
-- path_valid_from to path_valid_to, one root contains quantity_per_root of node".
-- A component that is already on its own path is a cycle: the row is kept (is_cycle) and
-- not expanded, so the recursion always ends.
with recursive

bom_lines as (
    select * from {{ ref('stg_erp__bom_lines') }}
),

items as (
    select * from {{ ref('stg_erp__items') }}
),

declarations as (
    select * from {{ ref('stg_customs__export_declarations') }}
),

roots as (
    select item_id as root_item_id from items
    union
    -- an exported item missing from the item master still gets its own row
    select item_id as root_item_id from declarations
),

paths as (
    select
        root_item_id,
        root_item_id as node_item_id,
        cast(null as varchar) as parent_item_id,
        0 as bom_depth,
        [root_item_id] as path_item_ids,
        cast([] as varchar[]) as path_bom_line_ids,
        cast(1 as decimal(38, 12)) as quantity_per_root,
        date '0001-01-01' as path_valid_from,
        date '9999-12-31' as path_valid_to,
        false as is_cycle
    from roots

    union all

    select
        paths.root_item_id,
        bom_lines.component_item_id as node_item_id,
        bom_lines.parent_item_id,
        paths.bom_depth + 1 as bom_depth,
        list_append(paths.path_item_ids, bom_lines.component_item_id) as path_item_ids,
        list_append(paths.path_bom_line_ids, bom_lines.bom_line_id) as path_bom_line_ids,
        {{ decimal_multiply('paths.quantity_per_root', 'bom_lines.quantity_per') }} as quantity_per_root,
        greatest(paths.path_valid_from, bom_lines.valid_from) as path_valid_from,
        least(paths.path_valid_to, bom_lines.valid_to) as path_valid_to,
        list_contains(paths.path_item_ids, bom_lines.component_item_id) as is_cycle
    from paths
    inner join bom_lines
        on paths.node_item_id = bom_lines.parent_item_id
    where
        not paths.is_cycle
        and paths.bom_depth < {{ var('bom_max_depth') }}
        and greatest(paths.path_valid_from, bom_lines.valid_from) <= least(paths.path_valid_to, bom_lines.valid_to)
),

final as (
    select
        -- the BOM lines taken identify a path (the same items may be reached on several intervals)
        md5(root_item_id || '|' || array_to_string(path_bom_line_ids, ';')) as bom_path_id,
        root_item_id,
        node_item_id,
        parent_item_id,
        bom_depth,
        path_item_ids,
        path_bom_line_ids,
        array_to_string(path_item_ids, ' > ') as path_text,
        quantity_per_root,
        path_valid_from,
        path_valid_to,
        is_cycle,
        bom_depth = {{ var('bom_max_depth') }} as is_depth_limit_reached
    from paths
)

select * from final
