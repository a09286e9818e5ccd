-- What an exported item is on the date it is exported: its own classification
-- (int_items_classified) plus what its bill of materials valid on that date makes it:
-- No. 61 Part 2 I.4 (a part, component or module containing a I.1-3 magnet, at any depth,
-- under part2_scope = broad), China-origin rare-earth technology carried up from a Part 2
-- magnet or target inside it (RULES.md §4), and BOM cycles met on the way.
with paths as (
    select * from {{ ref('int_boms_exploded') }}
),

declarations as (
    select * from {{ ref('stg_customs__export_declarations') }}
),

items as (
    select * from {{ ref('int_items_classified') }}
),

certificate_lines as (
    select * from {{ ref('stg_certificates__material_declarations') }}
),

-- each item on each date it is exported, and every item on as_of_date (for dim_items)
item_dates as (
    select distinct
        item_id,
        export_date
    from declarations
    union
    select
        item_id,
        {{ as_of_date() }} as export_date
    from items
),

dated_nodes as (
    select
        item_dates.item_id,
        item_dates.export_date,
        paths.node_item_id,
        paths.bom_depth,
        paths.path_text,
        paths.is_cycle,
        paths.is_depth_limit_reached,
        -- two BOM lines for the same parent and component valid on one date would count the
        -- component twice: a data-quality finding (review), not a sum anyone intended
        count(*) over (
            partition by item_dates.item_id, item_dates.export_date, paths.path_item_ids
        ) > 1 as is_overlapping_path,
        items.direct_part2_category,
        coalesce(items.is_unclassifiable_magnet, false) as is_unclassifiable_magnet,
        items.has_chinese_re_technology as item_flag_chinese_re_technology
    from item_dates
    inner join paths
        on
            item_dates.item_id = paths.root_item_id
            and item_dates.export_date between paths.path_valid_from and paths.path_valid_to
    left join items
        on paths.node_item_id = items.item_id
),

-- China-origin RE technology stated on a document valid on the date
document_technology as (
    select
        dated_nodes.node_item_id,
        dated_nodes.export_date,
        first(certificate_lines.certificate_id order by certificate_lines.certificate_id) as certificate_id
    from dated_nodes
    inner join certificate_lines
        on
            dated_nodes.node_item_id = certificate_lines.item_id
            and dated_nodes.export_date between certificate_lines.valid_from and certificate_lines.valid_to
    where certificate_lines.has_chinese_re_technology
    group by dated_nodes.node_item_id, dated_nodes.export_date
),

node_technology as (
    select
        dated_nodes.*,
        coalesce(dated_nodes.item_flag_chinese_re_technology, false)
        or document_technology.certificate_id is not null as has_technology_evidence,
        case
            when document_technology.certificate_id is not null
                then 'certificate ' || document_technology.certificate_id || ' of ' || dated_nodes.node_item_id
            when dated_nodes.item_flag_chinese_re_technology
                then 'item master of ' || dated_nodes.node_item_id
        end as technology_evidence
    from dated_nodes
    left join document_technology
        on
            dated_nodes.node_item_id = document_technology.node_item_id
            and dated_nodes.export_date = document_technology.export_date
),

rolled_up as (
    select
        item_id,
        export_date,
        bool_or(bom_depth > 0 and not is_cycle and direct_part2_category like 'magnet_%') as contains_part2_magnet,
        first(
            path_text order by bom_depth, path_text
        ) filter (where bom_depth > 0 and not is_cycle and direct_part2_category like 'magnet_%') as part2_magnet_path,
        bool_or(bom_depth > 0 and not is_cycle and is_unclassifiable_magnet) as contains_unclassifiable_magnet,
        bool_or(bom_depth = 0 and has_technology_evidence) as has_own_technology_evidence,
        first(technology_evidence order by technology_evidence) filter (
            where bom_depth = 0 and has_technology_evidence
        ) as own_technology_evidence,
        bool_or(
            bom_depth > 0 and not is_cycle and direct_part2_category is not null and has_technology_evidence
        ) as has_inner_technology_evidence,
        first(technology_evidence order by bom_depth, path_text) filter (
            where bom_depth > 0 and not is_cycle and direct_part2_category is not null and has_technology_evidence
        ) as inner_technology_evidence,
        bool_or(is_cycle) as has_bom_cycle,
        first(path_text order by path_text) filter (where is_cycle) as bom_cycle_path,
        bool_or(is_depth_limit_reached) as has_bom_depth_limit,
        bool_or(is_overlapping_path) as has_bom_overlap
    from node_technology
    group by item_id, export_date
),

final as (
    select
        rolled_up.item_id || '|' || cast(rolled_up.export_date as varchar) as item_date_id,
        rolled_up.item_id,
        rolled_up.export_date,
        items.item_id is not null as is_known_item,
        coalesce(items.is_part1_item, false) as is_part1_item,
        case
            when items.direct_part2_category is not null then items.direct_part2_category
            when '{{ var("part2_scope") }}' = 'broad' and rolled_up.contains_part2_magnet then 'magnet_part'
        end as part2_category,
        case
            when items.direct_part2_category is not null then items.classification_reason
            when '{{ var("part2_scope") }}' = 'broad' and rolled_up.contains_part2_magnet
                then 'contains a No. 61 Part 2 I.1-3 magnet on the BOM path ' || rolled_up.part2_magnet_path
                    || ': Part 2 I.4 (part2_scope = broad)'
            else items.classification_reason
        end as classification_reason,
        items.direct_part2_category is null
        and (
            coalesce(items.is_unclassifiable_magnet, false)
            or (
                '{{ var("part2_scope") }}' = 'broad'
                and rolled_up.contains_unclassifiable_magnet
                and not rolled_up.contains_part2_magnet
            )
        ) as is_part2_undetermined,
        items.control_codes,
        items.country_of_manufacture,
        items.standard_cost,
        items.standard_cost_currency,
        rolled_up.has_own_technology_evidence
        or ('{{ var("part2_scope") }}' = 'broad' and rolled_up.has_inner_technology_evidence)
            as has_chinese_re_technology,
        coalesce(
            rolled_up.own_technology_evidence,
            case when '{{ var("part2_scope") }}' = 'broad' then rolled_up.inner_technology_evidence end
        ) as technology_evidence,
        rolled_up.has_bom_cycle,
        rolled_up.bom_cycle_path,
        rolled_up.has_bom_depth_limit,
        rolled_up.has_bom_overlap
    from rolled_up
    left join items
        on rolled_up.item_id = items.item_id
)

select * from final
