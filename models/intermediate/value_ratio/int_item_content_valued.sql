-- Chinese-origin Part 1 content of one unit of an exported item, on each export date that
-- item is exported: one row per contribution (a component on a BOM path, and the
-- substance line of the document that speaks for it), valued in the order of RULES.md §3.
-- Values are per unit of the exported (root) item, in the currency of the contribution.
--
-- Who speaks for a component on a date:
--   * a component that is itself a Part 1 form (material_form) is Part 1 content in full,
--     at its delivered cost;
--   * else a component with a document valid on the date speaks through that document
--     (the latest one), and nothing below it in the BOM is counted again;
--   * else its own bill of materials does (the rows below it);
--   * a Part 2 magnet or target that nothing speaks for is missing_certificate.
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

-- one receipt per item and day (the highest po_line_id), so the latest receipt is the same in every build
purchase_lines as (
    select * from {{ ref('stg_procurement__purchase_lines') }}
    qualify row_number() over (partition by item_id, receipt_date order by po_line_id desc) = 1
),

prices as (
    select * from {{ ref('stg_reference__rare_earth_prices') }}
),

substances as (
    select * from {{ ref('rare_earth_substances') }}
),

item_dates as (
    select distinct
        item_id,
        export_date
    from declarations
),

dated_paths as (
    select
        item_dates.export_date,
        paths.*
    from item_dates
    inner join paths
        on
            item_dates.item_id = paths.root_item_id
            and item_dates.export_date between paths.path_valid_from and paths.path_valid_to
),

-- The document that speaks for an item on a date: the latest valid one that states
-- content (a material declaration or a compliance notice). An origin certificate says
-- where material comes from, not what an item contains: it never speaks for an item.
documents_on_date as (
    select
        node_dates.node_item_id,
        node_dates.export_date,
        certificate_lines.certificate_id,
        certificate_lines.document_type,
        certificate_lines.valid_to as document_valid_to
    from (
        select distinct
            node_item_id,
            export_date
        from dated_paths
    ) as node_dates
    inner join certificate_lines
        on
            node_dates.node_item_id = certificate_lines.item_id
            and node_dates.export_date between certificate_lines.valid_from and certificate_lines.valid_to
            and certificate_lines.document_type != 'origin_certificate'
    qualify row_number() over (
            partition by node_dates.node_item_id, node_dates.export_date
            order by
                certificate_lines.valid_from desc,
                certificate_lines.issued_on desc nulls last,
                certificate_lines.certificate_id desc
        ) = 1
),

-- nodes that have components of their own on the export date (a BOM valid then)
parents_on_date as (
    select distinct
        root_item_id,
        export_date,
        list_slice(path_item_ids, 1, len(path_item_ids) - 1) as parent_path
    from dated_paths
    where len(path_item_ids) > 1
),

nodes as (
    select
        dated_paths.*,
        items.item_id is not null as is_known_item,
        coalesce(items.is_part1_item, false) as is_part1_material,
        items.material_form,
        items.direct_part2_category,
        coalesce(items.is_unclassifiable_magnet, false) as is_unclassifiable_magnet,
        documents_on_date.certificate_id as speaking_certificate_id,
        documents_on_date.document_type as speaking_document_type,
        parents_on_date.parent_path is not null as has_bom,
        coalesce(items.is_part1_item, false) or documents_on_date.certificate_id is not null as is_speaking
    from dated_paths
    left join items
        on dated_paths.node_item_id = items.item_id
    left join documents_on_date
        on
            dated_paths.node_item_id = documents_on_date.node_item_id
            and dated_paths.export_date = documents_on_date.export_date
    left join parents_on_date
        on
            dated_paths.root_item_id = parents_on_date.root_item_id
            and dated_paths.export_date = parents_on_date.export_date
            and dated_paths.path_item_ids = parents_on_date.parent_path
),

-- Only a speaking node that has a BOM of its own can hide rows below it.
speaking_parents as (
    select
        root_item_id,
        export_date,
        path_item_ids
    from nodes
    where is_speaking and has_bom and not is_cycle
),

counted_nodes as (
    select nodes.*
    from nodes
    where
        not nodes.is_cycle
        and not exists (
            select 1
            from speaking_parents
            where
                speaking_parents.root_item_id = nodes.root_item_id
                and speaking_parents.export_date = nodes.export_date
                and len(nodes.path_item_ids) > len(speaking_parents.path_item_ids)
                and list_slice(nodes.path_item_ids, 1, len(speaking_parents.path_item_ids))
                = speaking_parents.path_item_ids
        )
),

-- Delivered cost: the latest receipt on or before the export date.
delivered_costs as (
    select
        counted_nodes.node_item_id,
        counted_nodes.export_date,
        purchase_lines.po_line_id,
        purchase_lines.unit_price,
        purchase_lines.currency,
        purchase_lines.receipt_date,
        purchase_lines.country_of_origin
    from (
        select distinct
            node_item_id,
            export_date
        from counted_nodes
    ) as counted_nodes
    asof inner join purchase_lines
        on
            counted_nodes.node_item_id = purchase_lines.item_id
            and counted_nodes.export_date >= purchase_lines.receipt_date
),

-- (1) A component that is itself a Part 1 form: its delivered cost, in full. Its origin
-- comes from its certificate lines on the date: those naming the material's own substance (or none)
-- when there are such lines, so that a constituent line (Co in a SmCo alloy) does not
-- shrink a form that counts in full
part1_material_lines as (
    select *
    from (
        select
            counted_nodes.node_item_id,
            counted_nodes.export_date,
            certificate_lines.*,
            coalesce(certificate_lines.substance = counted_nodes.material_form, true) as is_own_substance_line
        from (
            select distinct
                node_item_id,
                export_date,
                material_form
            from counted_nodes
            where is_part1_material
        ) as counted_nodes
        inner join certificate_lines
            on
                counted_nodes.node_item_id = certificate_lines.item_id
                and counted_nodes.export_date between certificate_lines.valid_from and certificate_lines.valid_to
    ) as material_lines
    qualify is_own_substance_line or not bool_or(is_own_substance_line) over (partition by node_item_id, export_date)
),

part1_material_origins as (
    select
        node_item_id,
        export_date,
        -- mixed-origin lots: the Chinese share of the stated masses, the unknown share
        -- following unknown_origin_policy; without masses: any Chinese line
        bool_and(mass_g_per_unit is not null) and sum(mass_g_per_unit) > 0 as is_mass_split,
        sum(
            case
                when origin_country = 'CN' then mass_g_per_unit
                when origin_country is null and '{{ var("unknown_origin_policy") }}' = 'assume_china'
                    then mass_g_per_unit
                else 0
            end
        ) as china_mass_g,
        sum(mass_g_per_unit) as total_mass_g,
        bool_or(origin_country = 'CN') as has_china_line,
        bool_or(origin_country is null) as has_unknown_origin_line,
        string_agg(distinct coalesce(origin_country, 'unknown'), '/' order by coalesce(origin_country, 'unknown'))
            as origin_countries,
        string_agg(
            distinct certificate_id || '#' || cast(line_no as varchar), ', '
            order by certificate_id || '#' || cast(line_no as varchar)
        ) as document_refs
    from part1_material_lines
    group by node_item_id, export_date
),

part1_material_contributions as (
    select
        counted_nodes.root_item_id,
        counted_nodes.export_date,
        counted_nodes.bom_path_id,
        counted_nodes.path_text,
        counted_nodes.node_item_id,
        counted_nodes.quantity_per_root,
        'part1_material_delivered_cost' as value_basis,
        coalesce(part1_material_origins.document_refs, 'purchase line ' || delivered_costs.po_line_id) as document_ref,
        counted_nodes.material_form as substance,
        true as is_part1_content,
        case
            when part1_material_origins.is_mass_split then part1_material_origins.origin_countries
            when part1_material_origins.node_item_id is not null and not part1_material_origins.has_unknown_origin_line
                then part1_material_origins.origin_countries
            when part1_material_origins.node_item_id is null then delivered_costs.country_of_origin
        end as origin_country,
        coalesce(part1_material_origins.has_unknown_origin_line, false) as has_unknown_origin_line,
        case
            when part1_material_origins.is_mass_split then 1  -- the value below is already the Chinese share
            when part1_material_origins.node_item_id is not null and not part1_material_origins.has_unknown_origin_line
                then case when part1_material_origins.has_china_line then 1 else 0 end
            when part1_material_origins.node_item_id is null and delivered_costs.country_of_origin = 'CN' then 1
            when part1_material_origins.node_item_id is null and delivered_costs.country_of_origin is not null then 0
        end as china_fraction,
        -- a mixed-origin lot counts the Chinese share of its cost: cost x CN mass / all mass,
        -- dividing last (exact whenever the share is a finite decimal, e.g. 3000 x 1 / 3)
        case
            when part1_material_origins.is_mass_split
                then cast(
                        cast({{ decimal_multiply(
                            'delivered_costs.unit_price', 'part1_material_origins.china_mass_g',
                        ) }} as double)
                        / cast(part1_material_origins.total_mass_g as double)
                        as decimal(38, 12)
                    )
            else delivered_costs.unit_price
        end as value_per_component_unit,
        delivered_costs.currency,
        case when delivered_costs.po_line_id is null then 'missing_delivered_cost' end as value_problem
    from counted_nodes
    left join delivered_costs
        on
            counted_nodes.node_item_id = delivered_costs.node_item_id
            and counted_nodes.export_date = delivered_costs.export_date
    left join part1_material_origins
        on
            counted_nodes.node_item_id = part1_material_origins.node_item_id
            and counted_nodes.export_date = part1_material_origins.export_date
    where counted_nodes.is_part1_material
),

-- (2) A documented component: each substance line of the speaking document.
document_lines as (
    select
        counted_nodes.root_item_id,
        counted_nodes.export_date,
        counted_nodes.bom_path_id,
        counted_nodes.path_text,
        counted_nodes.node_item_id,
        counted_nodes.quantity_per_root,
        certificate_lines.certificate_id,
        certificate_lines.line_no,
        certificate_lines.document_type,
        certificate_lines.substance,
        certificate_lines.content_value_per_unit,
        certificate_lines.content_value_currency,
        certificate_lines.declared_value_share_pct,
        certificate_lines.mass_g_per_unit,
        counted_nodes.direct_part2_category is not null or counted_nodes.is_unclassifiable_magnet as is_part2_node,
        -- a Declaration of Compliance states Chinese-produced controlled content by definition
        case
            when certificate_lines.document_type = 'compliance_notice'
                then coalesce(certificate_lines.origin_country, 'CN')
            else certificate_lines.origin_country
        end as origin_country,
        coalesce(
            substances.is_part1_item
            or (certificate_lines.document_type = 'compliance_notice' and certificate_lines.substance is null),
            false
        ) as is_part1_content
    from counted_nodes
    inner join certificate_lines
        on counted_nodes.speaking_certificate_id = certificate_lines.certificate_id
    left join substances
        on certificate_lines.substance = substances.substance
    where not counted_nodes.is_part1_material
),

document_contributions as (
    select
        document_lines.root_item_id,
        document_lines.export_date,
        document_lines.bom_path_id,
        document_lines.path_text,
        document_lines.node_item_id,
        document_lines.quantity_per_root,
        case
            when document_lines.content_value_per_unit is not null then 'stated_content_value'
            when document_lines.document_type = 'compliance_notice'
                and document_lines.declared_value_share_pct is not null
                then 'compliance_notice_share'
            when document_lines.mass_g_per_unit is not null then 'mass_x_reference_price'
            else 'no_value_basis'
        end as value_basis,
        document_lines.certificate_id || '#' || cast(document_lines.line_no as varchar)
        || ' (' || document_lines.document_type || ')' as document_ref,
        document_lines.substance,
        document_lines.is_part1_content,
        document_lines.origin_country,
        case
            when document_lines.origin_country = 'CN' then 1
            when document_lines.origin_country is not null then 0
        end as china_fraction,
        case
            when document_lines.content_value_per_unit is not null
                then document_lines.content_value_per_unit
            when document_lines.document_type = 'compliance_notice'
                and document_lines.declared_value_share_pct is not null
                then {{ decimal_multiply(
                    decimal_multiply('document_lines.declared_value_share_pct', 'delivered_costs.unit_price'), '0.01',
                ) }}
            when document_lines.mass_g_per_unit is not null
                then {{ decimal_multiply(
                    decimal_multiply('document_lines.mass_g_per_unit', 'prices.price_per_kg'), '0.001',
                ) }}
        end as value_per_component_unit,
        case
            when document_lines.content_value_per_unit is not null then document_lines.content_value_currency
            when document_lines.document_type = 'compliance_notice'
                and document_lines.declared_value_share_pct is not null
                then delivered_costs.currency
            when document_lines.mass_g_per_unit is not null then prices.currency
        end as currency,
        case
            -- a Part 2 magnet or target whose document names no substance says nothing of
            -- its content: never silently zero
            when
                not document_lines.is_part1_content
                and document_lines.substance is null
                and document_lines.document_type != 'compliance_notice'
                and document_lines.is_part2_node
                then 'missing_value'
            when not document_lines.is_part1_content then null
            when document_lines.content_value_per_unit is not null and document_lines.content_value_currency is null
                then 'missing_value'
            when document_lines.content_value_per_unit is not null then null
            when document_lines.document_type = 'compliance_notice'
                and document_lines.declared_value_share_pct is not null
                then case when delivered_costs.po_line_id is null then 'missing_delivered_cost' end
            when document_lines.mass_g_per_unit is not null
                then case when prices.price_per_kg is null then 'missing_reference_price' end
            else 'missing_value'
        end as value_problem,
        prices.is_indicative as is_indicative_price
    from document_lines
    left join delivered_costs
        on
            document_lines.node_item_id = delivered_costs.node_item_id
            and document_lines.export_date = delivered_costs.export_date
    asof left join prices
        on
            document_lines.substance = prices.substance
            and document_lines.export_date >= prices.price_date
),

-- (3) Nothing speaks for a component that has no BOM of its own, and it matters: a
-- Part 2 magnet or target (or an NdFeB magnet of unknown composition) with no valid
-- certificate (missing_certificate), or a component in no item master (missing_item).
-- Its content cannot be valued: never silently zero.
unvalued_components as (
    select
        root_item_id,
        export_date,
        bom_path_id,
        path_text,
        node_item_id,
        quantity_per_root,
        case when is_known_item then 'missing_certificate' else 'missing_item' end as value_basis,
        cast(null as varchar) as document_ref,
        cast(null as varchar) as substance,
        true as is_part1_content,
        cast(null as varchar) as origin_country,
        cast(null as decimal(38, 12)) as china_fraction,
        cast(null as decimal(38, 12)) as value_per_component_unit,
        cast(null as varchar) as currency,
        case when is_known_item then 'missing_certificate' else 'missing_item' end as value_problem
    from counted_nodes
    where
        not is_speaking
        and not has_bom
        and (
            direct_part2_category is not null
            or is_unclassifiable_magnet
            or (not is_known_item and bom_depth > 0)
        )
),

contributions as (
    select
        *,
        cast(null as boolean) as is_indicative_price
    from part1_material_contributions
    union all by name
    select * from document_contributions
    union all by name
    select
        *,
        cast(null as boolean) as is_indicative_price
    from unvalued_components
),

-- unknown origin follows unknown_origin_policy (RULES.md §3)
origin_applied as (
    select
        *,
        (origin_country is null or coalesce(has_unknown_origin_line, false))
        and is_part1_content
        and value_basis not in ('missing_certificate', 'missing_item') as is_origin_unverified,
        coalesce(
            china_fraction,
            case when '{{ var("unknown_origin_policy") }}' = 'assume_china' then 1 else 0 end
        ) as china_fraction_applied
    from contributions
),

final as (
    select
        md5(
            root_item_id
            || '|'
            || cast(export_date as varchar)
            || '|'
            || bom_path_id
            || '|'
            || coalesce(document_ref, '')
        ) as contribution_id,
        root_item_id as item_id,
        export_date,
        bom_path_id,
        path_text,
        node_item_id as component_item_id,
        quantity_per_root,
        value_basis,
        document_ref,
        substance,
        is_part1_content,
        origin_country,
        is_origin_unverified,
        china_fraction_applied,
        value_per_component_unit,
        currency,
        value_problem,
        coalesce(is_indicative_price and value_basis = 'mass_x_reference_price', false) as is_indicative_price,
        -- per unit of the exported item, in `currency`; content that is not Part 1 counts 0
        case
            when is_part1_content
                then {{ decimal_multiply(
                    decimal_multiply('quantity_per_root', 'value_per_component_unit'), 'china_fraction_applied',
                ) }}
            else 0
        end as cn_part1_value_per_unit
    from origin_applied
)

select * from final
