-- The BOM paths of each item on each date it is looked at: every export date of the item
-- (is_export_date) and var as_of_date for every item of the item master (dim_items).
-- One row per (item, date, BOM path valid on that date), depth 0 (the item itself)
-- included. Shared by int_item_dates_classified and int_item_content_valued so that the
-- interval join is written (and paid for) once.
with paths as (
    select * from {{ ref('int_boms_exploded') }}
),

declarations as (
    select * from {{ ref('stg_customs__export_declarations') }}
),

items as (
    select * from {{ ref('stg_erp__items') }}
),

bom_lines as (
    select * from {{ ref('stg_erp__bom_lines') }}
),

item_dates as (
    select
        item_id,
        export_date,
        bool_or(is_export_date) as is_export_date
    from (
        select distinct
            item_id,
            export_date,
            true as is_export_date
        from declarations
        union all
        select
            item_id,
            {{ as_of_date() }} as export_date,
            false as is_export_date
        from items
    ) as looked_at
    group by item_id, export_date
),

-- items that have a bill of materials at all (on some date)
bom_parents as (
    select distinct parent_item_id
    from bom_lines
),

dated as (
    select
        item_dates.item_id,
        item_dates.export_date,
        item_dates.is_export_date,
        paths.bom_path_id,
        paths.node_item_id,
        paths.parent_item_id,
        paths.bom_depth,
        paths.path_item_ids,
        paths.path_text,
        paths.quantity_per_root,
        paths.is_cycle,
        paths.is_depth_limit_reached,
        -- two BOM lines for the same parent and component valid on one date would count the
        -- component twice: a data-quality finding (review), not a sum anyone intended
        count(*) over (
            partition by item_dates.item_id, item_dates.export_date, paths.path_item_ids
        ) > 1 as is_overlapping_path
    from item_dates
    inner join paths
        on
            item_dates.item_id = paths.root_item_id
            and item_dates.export_date between paths.path_valid_from and paths.path_valid_to
),

-- a node has components on a date when some path of that date continues below it (the
-- BOM lines valid on a date do not depend on the path that reaches the node)
parents_on_date as (
    select distinct
        export_date,
        parent_item_id
    from dated
    where bom_depth > 0
),

final as (
    select
        md5(dated.item_id || '|' || cast(dated.export_date as varchar) || '|' || dated.bom_path_id)
            as dated_bom_path_id,
        dated.*,
        parents_on_date.parent_item_id is not null as has_bom_on_date,
        bom_parents.parent_item_id is not null as has_bom_lines
    from dated
    left join parents_on_date
        on
            dated.export_date = parents_on_date.export_date
            and dated.node_item_id = parents_on_date.parent_item_id
    left join bom_parents
        on dated.node_item_id = bom_parents.parent_item_id
)

select * from final
