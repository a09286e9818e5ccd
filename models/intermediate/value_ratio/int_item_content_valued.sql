-- Chinese-origin Part 1 content of one unit of an exported item, on each export date that
-- item is exported: one row per contribution (a component on a BOM path, and the
-- substance line of the document that speaks for it), valued in the order of RULES.md §3.
-- Values are per unit of the exported (root) item, in the currency of the contribution.
--
-- Who speaks for a component on a date:
--   * a component that is itself a Part 1 form (material_form) is Part 1 content in full:
--     its delivered cost (latest receipt on or before the date), else the stated values
--     of its certificate lines; origin from its certificate lines, a line without origin
--     falling back to the receipt's country_of_origin before unknown_origin_policy;
--   * else every content document valid on the date speaks (several documents: their
--     lines are summed, an identical line in two documents counted once), and nothing
--     below it in the BOM is counted again; not for an item we make that has a BOM on the
--     date, which is valued through that BOM;
--   * else its own bill of materials does (the rows below it), a magnet or target we make
--     included;
--   * nothing speaks: a Part 2 magnet or target is missing_certificate, an item we make
--     (or an assembly) whose BOM is not valid on the date is missing_bom, a code the
--     vocabulary does not know is unknown_code, an item missing from the master is
--     missing_item. Never silently zero.
-- Both readings of unknown_origin_policy are computed (`_if_assume_china`,
-- `_if_assume_not_china`); the variable only selects in the final CTE.
with dated_paths as (
    select * from {{ ref('int_bom_paths_dated') }}
    where is_export_date
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
    select
        *,
        lower(substance) as substance_key
    from {{ ref('rare_earth_substances') }}
),

-- every certificate line in the vocabulary's spelling (codes match case-insensitively)
lines_read as (
    select
        certificate_lines.*,
        substances.substance as substance_canonical,
        substances.is_part1_item as is_part1_substance,
        coalesce(string_split(substances.elements, ';'), []) as substance_elements,
        case when certificate_lines.element is not null then {{ element_symbol('certificate_lines.element') }} end
            as element_canonical,
        -- every element the line names (its substance's and its element column)
        list_concat(
            coalesce(string_split(substances.elements, ';'), []),
            case
                when certificate_lines.element is null then []
                else [{{ element_symbol('certificate_lines.element') }}]
            end
        ) as line_elements,
        -- a substance code the vocabulary does not know, or a quantity with no substance (a
        -- line naming nothing that states 0 g and no value declares no rare earth)
        (certificate_lines.substance is not null and substances.substance is null)
        or (
            certificate_lines.substance is null
            and certificate_lines.document_type = 'material_declaration'
            and (
                coalesce(certificate_lines.mass_g_per_unit, 0) > 0
                or coalesce(certificate_lines.content_value_per_unit, 0) > 0
            )
        ) as is_unknown_code
    from certificate_lines
    left join substances
        on lower(trim(certificate_lines.substance)) = substances.substance_key
),

-- A compliance notice with several lines that all state the same % is read the
-- conservative way: each line states its own share and they are summed (the other
-- reading, one total repeated on every line, gives less). Flagged notice_share_repeated.
notices_repeating_share as (
    select certificate_id
    from lines_read
    where document_type = 'compliance_notice'
    group by certificate_id
    having
        count(*) > 1
        and count(declared_value_share_pct) = count(*)
        and count(distinct declared_value_share_pct) = 1
),

nodes as (
    select
        dated_paths.item_id as root_item_id,
        dated_paths.export_date,
        dated_paths.bom_path_id,
        dated_paths.node_item_id,
        dated_paths.bom_depth,
        dated_paths.path_item_ids,
        dated_paths.path_text,
        dated_paths.quantity_per_root,
        dated_paths.is_cycle,
        dated_paths.has_bom_on_date as has_bom,
        dated_paths.has_bom_lines,
        items.item_id is not null as is_known_item,
        coalesce(items.is_part1_item, false) as is_part1_material,
        items.material_form,
        items.product_form,
        coalesce(items.is_manufactured, false) as is_manufactured,
        items.direct_part2_category,
        coalesce(items.is_unclassifiable_magnet, false) as is_unclassifiable_magnet,
        items.unknown_code_reason
    from dated_paths
    left join items
        on dated_paths.node_item_id = items.item_id
),

-- Every content document valid on the date speaks (an origin certificate says where
-- material comes from, not what an item contains: it never speaks).
node_dates as (
    select distinct
        node_item_id,
        export_date
    from nodes
),

document_lines_on_date as (
    select
        node_dates.node_item_id,
        node_dates.export_date,
        lines_read.*
    from node_dates
    inner join lines_read
        on
            node_dates.node_item_id = lines_read.item_id
            and node_dates.export_date between lines_read.valid_from and lines_read.valid_to
            and lines_read.document_type != 'origin_certificate'
),

speaking_documents as (
    select distinct
        node_item_id,
        export_date
    from document_lines_on_date
),

nodes_speaking as (
    select
        nodes.*,
        -- an item we make with a BOM on the date is valued through that BOM (RULES.md §3):
        -- its own documents (our declaration to customers) would count it twice
        nodes.is_part1_material
        or (speaking_documents.node_item_id is not null and not (nodes.is_manufactured and nodes.has_bom))
            as is_speaking
    from nodes
    left join speaking_documents
        on
            nodes.node_item_id = speaking_documents.node_item_id
            and nodes.export_date = speaking_documents.export_date
),

-- Only a speaking node that has a BOM of its own can hide rows below it.
speaking_parents as (
    select
        root_item_id,
        export_date,
        path_item_ids
    from nodes_speaking
    where is_speaking and has_bom and not is_cycle
),

counted_nodes as (
    select nodes_speaking.*
    from nodes_speaking
    where
        not nodes_speaking.is_cycle
        and not exists (
            select 1
            from speaking_parents
            where
                speaking_parents.root_item_id = nodes_speaking.root_item_id
                and speaking_parents.export_date = nodes_speaking.export_date
                and len(nodes_speaking.path_item_ids) > len(speaking_parents.path_item_ids)
                and list_slice(nodes_speaking.path_item_ids, 1, len(speaking_parents.path_item_ids))
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

-- (1) A component that is itself a Part 1 form. Its certificate lines on the date (any
-- document) say where it comes from: lines of its own form if any (a mixed-origin lot of
-- one form is split by mass); else lines naming its element(s) (the Sm line of a SmCo
-- alloy: the form still counts in full); else lines naming no substance (an origin
-- certificate). Lines of other constituents (Co) say nothing of its origin.
part1_material_nodes as (
    select distinct
        counted_nodes.node_item_id,
        counted_nodes.export_date,
        counted_nodes.material_form
    from counted_nodes
    where counted_nodes.is_part1_material
),

part1_candidate_lines as (
    select
        part1_material_nodes.node_item_id,
        part1_material_nodes.export_date,
        lines_read.certificate_id,
        lines_read.line_no,
        lines_read.mass_g_per_unit,
        lines_read.content_value_per_unit,
        lines_read.content_value_currency,
        -- a line without origin falls back to the receipt's origin (RULES.md §3)
        coalesce(lines_read.origin_country, delivered_costs.country_of_origin) as origin_country,
        lines_read.origin_country is null and delivered_costs.country_of_origin is not null as is_origin_from_receipt,
        case
            when lines_read.substance_canonical = part1_material_nodes.material_form then 1
            when len(list_intersect(lines_read.line_elements, string_split(substances.elements, ';'))) > 0 then 2
            when lines_read.substance is null and lines_read.element is null then 3
        end as line_rank
    from part1_material_nodes
    inner join lines_read
        on
            part1_material_nodes.node_item_id = lines_read.item_id
            and part1_material_nodes.export_date between lines_read.valid_from and lines_read.valid_to
    left join substances
        on part1_material_nodes.material_form = substances.substance
    left join delivered_costs
        on
            part1_material_nodes.node_item_id = delivered_costs.node_item_id
            and part1_material_nodes.export_date = delivered_costs.export_date
),

part1_material_lines as (
    select *
    from part1_candidate_lines
    where line_rank is not null
    qualify line_rank = min(line_rank) over (partition by node_item_id, export_date)
),

part1_material_origins as (
    select
        node_item_id,
        export_date,
        -- a mixed-origin lot of one form: every line of the form itself, with masses, and
        -- more than one origin
        bool_and(line_rank = 1)
        and bool_and(mass_g_per_unit is not null)
        and sum(mass_g_per_unit) > 0
        and count(distinct coalesce(origin_country, '?')) > 1 as is_mass_split,
        coalesce(sum(mass_g_per_unit) filter (where origin_country = 'CN'), 0) as china_mass_g,
        coalesce(sum(mass_g_per_unit) filter (where origin_country is null), 0) as unknown_mass_g,
        sum(mass_g_per_unit) as total_mass_g,
        bool_or(origin_country = 'CN') as has_china_line,
        bool_or(origin_country is null) as has_unknown_origin_line,
        bool_or(is_origin_from_receipt) as has_origin_from_receipt,
        string_agg(distinct coalesce(origin_country, 'unknown'), '/' order by coalesce(origin_country, 'unknown'))
            as origin_countries,
        string_agg(
            distinct certificate_id || '#' || cast(line_no as varchar), ', '
            order by certificate_id || '#' || cast(line_no as varchar)
        ) as document_refs
    from part1_material_lines
    group by node_item_id, export_date
),

-- (1a) with a receipt: the delivered cost in full (the Chinese share of a mixed lot)
part1_material_costed as (
    select
        counted_nodes.root_item_id,
        counted_nodes.export_date,
        counted_nodes.bom_path_id,
        counted_nodes.path_text,
        counted_nodes.node_item_id,
        counted_nodes.quantity_per_root,
        'part1_material_delivered_cost' as value_basis,
        'purchase line ' || delivered_costs.po_line_id
        || coalesce('; origin ' || part1_material_origins.document_refs, '') as document_ref,
        counted_nodes.material_form as substance,
        true as is_part1_content,
        coalesce(part1_material_origins.origin_countries, delivered_costs.country_of_origin) as origin_country,
        coalesce(part1_material_origins.is_mass_split, false) as is_mass_split,
        part1_material_origins.china_mass_g,
        part1_material_origins.unknown_mass_g,
        part1_material_origins.total_mass_g,
        delivered_costs.unit_price as value_per_component_unit,
        delivered_costs.currency,
        -- without a mass split: any Chinese line makes the form Chinese, all lines known
        -- and not Chinese make it not; otherwise unknown (the policy decides)
        case
            when part1_material_origins.node_item_id is null and delivered_costs.country_of_origin = 'CN' then 1
            when part1_material_origins.node_item_id is null and delivered_costs.country_of_origin is not null then 0
            when part1_material_origins.node_item_id is null then null
            when part1_material_origins.has_china_line then 1
            when not part1_material_origins.has_unknown_origin_line then 0
        end as china_fraction,
        cast(null as varchar) as value_problem
    from counted_nodes
    inner join delivered_costs
        on
            counted_nodes.node_item_id = delivered_costs.node_item_id
            and counted_nodes.export_date = delivered_costs.export_date
    left join part1_material_origins
        on
            counted_nodes.node_item_id = part1_material_origins.node_item_id
            and counted_nodes.export_date = part1_material_origins.export_date
    where counted_nodes.is_part1_material
),

part1_material_contributions as (
    select
        *,
        -- the Chinese share of a mixed-origin lot: cost x CN mass / all mass, multiplying
        -- first and dividing exactly at 12 places (decimal_divide), with its error bound
        case
            when is_mass_split
                then {{ decimal_divide(
                    decimal_multiply('value_per_component_unit', 'china_mass_g + unknown_mass_g'), 'total_mass_g',
                ) }}
        end as split_value_if_assume_china,
        case
            when is_mass_split
                then {{ decimal_divide(decimal_multiply('value_per_component_unit', 'china_mass_g'), 'total_mass_g') }}
        end as split_value_if_assume_not_china,
        case
            when is_mass_split
                then {{ decimal_divide_error_bound(
                    decimal_multiply('value_per_component_unit', 'china_mass_g + unknown_mass_g'), 'total_mass_g',
                ) }}
            else cast(0 as decimal(38, 12))
        end as split_bound_if_assume_china,
        case
            when is_mass_split
                then {{ decimal_divide_error_bound(
                    decimal_multiply('value_per_component_unit', 'china_mass_g'), 'total_mass_g',
                ) }}
            else cast(0 as decimal(38, 12))
        end as split_bound_if_assume_not_china
    from part1_material_costed
),

-- (1b) no receipt: the stated values of its certificate lines (RULES.md §3), each line
-- counted with its own origin; without any, the cost is missing
part1_material_stated as (
    select
        counted_nodes.root_item_id,
        counted_nodes.export_date,
        counted_nodes.bom_path_id,
        counted_nodes.path_text,
        counted_nodes.node_item_id,
        counted_nodes.quantity_per_root,
        case
            when part1_material_lines.content_value_per_unit is not null then 'part1_material_stated_value'
            else 'part1_material_delivered_cost'
        end as value_basis,
        coalesce(
            part1_material_lines.certificate_id || '#' || cast(part1_material_lines.line_no as varchar)
            || ' (stated value, no receipt)',
            'no receipt'
        ) as document_ref,
        counted_nodes.material_form as substance,
        true as is_part1_content,
        part1_material_lines.origin_country,
        false as is_mass_split,
        part1_material_lines.content_value_per_unit as value_per_component_unit,
        part1_material_lines.content_value_currency as currency,
        case
            when part1_material_lines.origin_country = 'CN' then 1
            when part1_material_lines.origin_country is not null then 0
        end as china_fraction,
        case
            when part1_material_lines.content_value_per_unit is null then 'missing_delivered_cost'
            when part1_material_lines.content_value_currency is null then 'missing_value'
        end as value_problem
    from counted_nodes
    left join part1_material_lines
        on
            counted_nodes.node_item_id = part1_material_lines.node_item_id
            and counted_nodes.export_date = part1_material_lines.export_date
    left join delivered_costs
        on
            counted_nodes.node_item_id = delivered_costs.node_item_id
            and counted_nodes.export_date = delivered_costs.export_date
    where counted_nodes.is_part1_material and delivered_costs.po_line_id is null
    -- one row per path when no line states a value: the cost is missing once
    qualify
        part1_material_lines.content_value_per_unit is not null
        or row_number() over (
            partition by counted_nodes.root_item_id, counted_nodes.export_date, counted_nodes.bom_path_id
            order by part1_material_lines.certificate_id, part1_material_lines.line_no
        ) = 1
),

-- (2) A documented component: every substance line of every content document valid on
-- the date; a line repeated identically in two documents is counted once.
document_lines_distinct as (
    select
        node_item_id,
        export_date,
        document_type,
        substance,
        substance_canonical,
        is_part1_substance,
        is_unknown_code,
        content_value_per_unit,
        content_value_currency,
        declared_value_share_pct,
        mass_g_per_unit,
        -- a Declaration of Compliance states Chinese-produced controlled content by definition
        case when document_type = 'compliance_notice' then coalesce(origin_country, 'CN') else origin_country end
            as origin_country,
        bool_or(certificate_id in (select notices_repeating_share.certificate_id from notices_repeating_share))
            as is_notice_share_repeated,
        string_agg(
            certificate_id || '#' || cast(line_no as varchar), ', ' order by certificate_id, line_no
        ) || ' (' || document_type || ')' as document_ref
    from document_lines_on_date
    group by
        node_item_id,
        export_date,
        document_type,
        substance,
        substance_canonical,
        is_part1_substance,
        is_unknown_code,
        content_value_per_unit,
        content_value_currency,
        declared_value_share_pct,
        mass_g_per_unit,
        case when document_type = 'compliance_notice' then coalesce(origin_country, 'CN') else origin_country end
),

document_lines as (
    select
        counted_nodes.root_item_id,
        counted_nodes.export_date,
        counted_nodes.bom_path_id,
        counted_nodes.path_text,
        counted_nodes.node_item_id,
        counted_nodes.quantity_per_root,
        document_lines_distinct.document_ref,
        document_lines_distinct.document_type,
        coalesce(document_lines_distinct.substance_canonical, document_lines_distinct.substance) as substance,
        document_lines_distinct.is_unknown_code,
        document_lines_distinct.is_notice_share_repeated,
        document_lines_distinct.content_value_per_unit,
        document_lines_distinct.content_value_currency,
        document_lines_distinct.declared_value_share_pct,
        document_lines_distinct.mass_g_per_unit,
        counted_nodes.direct_part2_category is not null or counted_nodes.is_unclassifiable_magnet as is_part2_node,
        document_lines_distinct.origin_country,
        coalesce(
            document_lines_distinct.is_part1_substance
            or (
                document_lines_distinct.document_type = 'compliance_notice'
                and document_lines_distinct.substance is null
            )
            or document_lines_distinct.is_unknown_code,
            false
        ) as is_part1_content
    from counted_nodes
    inner join document_lines_distinct
        on
            counted_nodes.node_item_id = document_lines_distinct.node_item_id
            and counted_nodes.export_date = document_lines_distinct.export_date
    where counted_nodes.is_speaking and not counted_nodes.is_part1_material
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
            when document_lines.is_unknown_code then 'unknown_code'
            when document_lines.content_value_per_unit is not null then 'stated_content_value'
            when document_lines.document_type = 'compliance_notice'
                and document_lines.declared_value_share_pct is not null
                then 'compliance_notice_share'
            when document_lines.mass_g_per_unit is not null then 'mass_x_reference_price'
            else 'no_value_basis'
        end as value_basis,
        document_lines.document_ref,
        document_lines.substance,
        document_lines.is_part1_content,
        document_lines.is_notice_share_repeated,
        document_lines.origin_country,
        false as is_mass_split,
        case
            when document_lines.origin_country = 'CN' then 1
            when document_lines.origin_country is not null then 0
        end as china_fraction,
        case
            -- a code the vocabulary does not know may be a Part 1 form: never valued as 0
            when document_lines.is_unknown_code then null
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
            when document_lines.is_unknown_code then null
            when document_lines.content_value_per_unit is not null then document_lines.content_value_currency
            when document_lines.document_type = 'compliance_notice'
                and document_lines.declared_value_share_pct is not null
                then delivered_costs.currency
            when document_lines.mass_g_per_unit is not null then prices.currency
        end as currency,
        case
            when document_lines.is_unknown_code then 'unknown_code'
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

-- (3) Nothing speaks for a component that has no BOM on the date, and it matters. Its
-- content cannot be valued: never silently zero.
unvalued_components as (
    select
        root_item_id,
        export_date,
        bom_path_id,
        path_text,
        node_item_id,
        quantity_per_root,
        case
            when not is_known_item then 'missing_item'
            when unknown_code_reason is not null then 'unknown_code'
            when is_manufactured and (direct_part2_category is not null or is_unclassifiable_magnet) then 'missing_bom'
            when direct_part2_category is not null or is_unclassifiable_magnet then 'missing_certificate'
            else 'missing_bom'
        end as value_basis,
        unknown_code_reason as document_ref,
        cast(null as varchar) as substance,
        true as is_part1_content,
        cast(null as varchar) as origin_country,
        false as is_mass_split,
        cast(null as decimal(38, 12)) as china_fraction,
        cast(null as decimal(38, 12)) as value_per_component_unit,
        cast(null as varchar) as currency
    from counted_nodes
    where
        not is_speaking
        and not has_bom
        and (
            (not is_known_item and bom_depth > 0)
            or unknown_code_reason is not null
            or direct_part2_category is not null
            or is_unclassifiable_magnet
            -- an item we make, or an assembly: the exported item itself, or a component
            -- whose BOM exists but is not valid on the date (a component that never had a
            -- BOM is a leaf: the stator wound in-house)
            or (
                is_known_item
                and not is_part1_material
                and (is_manufactured or product_form = 'assembly')
                and (bom_depth = 0 or has_bom_lines)
            )
        )
),

contributions as (
    select
        *,
        greatest(split_bound_if_assume_china, split_bound_if_assume_not_china) as split_error_bound_per_component_unit,
        cast(null as boolean) as is_indicative_price,
        false as is_notice_share_repeated
    from part1_material_contributions
    union all by name
    select
        *,
        cast(null as boolean) as is_indicative_price,
        false as is_notice_share_repeated,
        cast(0 as decimal(38, 12)) as split_error_bound_per_component_unit
    from part1_material_stated
    union all by name
    select
        *,
        cast(0 as decimal(38, 12)) as split_error_bound_per_component_unit
    from document_contributions
    union all by name
    select
        *,
        value_basis as value_problem,
        cast(null as boolean) as is_indicative_price,
        false as is_notice_share_repeated,
        cast(0 as decimal(38, 12)) as split_error_bound_per_component_unit
    from unvalued_components
),

-- unknown origin follows unknown_origin_policy (RULES.md §3): both readings, side by side
origin_readings as (
    select
        *,
        cast(coalesce(china_fraction, 1) as decimal(38, 12)) as china_fraction_if_assume_china,
        cast(coalesce(china_fraction, 0) as decimal(38, 12)) as china_fraction_if_assume_not_china,
        coalesce(split_value_if_assume_china, value_per_component_unit) as chinese_value_if_assume_china,
        coalesce(split_value_if_assume_not_china, value_per_component_unit) as chinese_value_if_assume_not_china
    from contributions
),

valued as (
    select
        *,
        -- the policy matters for this contribution: its origin is unverified
        is_part1_content
        and value_basis not in ('missing_certificate', 'missing_item', 'missing_bom', 'unknown_code')
        and (
            china_fraction is null
            or (is_mass_split and split_value_if_assume_china != split_value_if_assume_not_china)
        ) as is_origin_unverified,
        case
            when is_part1_content
                then {{ decimal_multiply(
                    decimal_multiply('quantity_per_root', 'chinese_value_if_assume_china'),
                    'china_fraction_if_assume_china',
                ) }}
            else 0
        end as cn_part1_value_per_unit_if_assume_china,
        case
            when is_part1_content
                then {{ decimal_multiply(
                    decimal_multiply('quantity_per_root', 'chinese_value_if_assume_not_china'),
                    'china_fraction_if_assume_not_china',
                ) }}
            else 0
        end as cn_part1_value_per_unit_if_assume_not_china,
        -- bound on the error of a mass split, per unit of the exported item
        {{ decimal_multiply('quantity_per_root', 'split_error_bound_per_component_unit') }} + case
            when split_error_bound_per_component_unit > 0 then cast(0.000000000001 as decimal(38, 12))
            else cast(0 as decimal(38, 12))
        end as split_error_bound_per_unit
    from origin_readings
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
        is_mass_split,
        china_fraction_if_assume_china,
        china_fraction_if_assume_not_china,
        {{ select_by_var('unknown_origin_policy', {
            'assume_china': 'china_fraction_if_assume_china',
            'assume_not_china': 'china_fraction_if_assume_not_china',
        }) }} as china_fraction_applied,
        value_per_component_unit,
        currency,
        value_problem,
        coalesce(is_indicative_price and value_basis = 'mass_x_reference_price', false) as is_indicative_price,
        coalesce(is_notice_share_repeated, false) as is_notice_share_repeated,
        split_error_bound_per_unit,
        -- per unit of the exported item, in `currency`; content that is not Part 1 counts 0
        cn_part1_value_per_unit_if_assume_china,
        cn_part1_value_per_unit_if_assume_not_china,
        {{ select_by_var('unknown_origin_policy', {
            'assume_china': 'cn_part1_value_per_unit_if_assume_china',
            'assume_not_china': 'cn_part1_value_per_unit_if_assume_not_china',
        }) }} as cn_part1_value_per_unit
    from valued
)

select * from final
