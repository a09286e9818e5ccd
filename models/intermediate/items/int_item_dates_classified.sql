-- What an exported item is on the date it is exported: its own classification
-- (int_items_classified) plus what its bill of materials valid on that date makes it.
--   * A magnet or target we make is read through its BOM (RULES.md §2): an NdFeB magnet
--     contains Tb/Dy when a component at any depth names the element (material_form or
--     a certificate line); a target without target_material takes its material from its
--     documents' and BOM's elements when that reading is unambiguous.
--   * Part 2 I.4 (a part, component or module containing a I.1-3 magnet at any depth, or
--     an assembly for which a Declaration of Compliance was received) under part2_scope =
--     broad only.
--   * China-origin rare-earth technology carried up from a Part 2 magnet or target inside
--     it (RULES.md §4), BOM cycles, depth limits and overlaps met on the way.
--   * missing_bom: an item we make (or an assembly) with no BOM valid on the date and no
--     document that speaks for it (RULES.md §3).
--   * Production origin of a purchased Part 1 material: the item master, the certificates
--     valid on the date and the latest receipt (RULES.md §5); disagreement = origin_conflict.
-- Both readings of part2_scope are computed side by side (`_broad`, `_strict`); the
-- variable only selects in the final CTE.
with paths as (
    select * from {{ ref('int_bom_paths_dated') }}
),

items as (
    select * from {{ ref('int_items_classified') }}
),

certificate_lines as (
    select * from {{ ref('stg_certificates__material_declarations') }}
),

purchase_lines as (
    select * from {{ ref('stg_procurement__purchase_lines') }}
),

magnet_categories as (
    select * from {{ ref('part2_magnet_categories') }}
),

target_materials as (
    select * from {{ ref('part2_target_materials') }}
),

substances as (
    select * from {{ ref('rare_earth_substances') }}
),

rare_earth_elements as (
    select distinct unnest(string_split(elements, ';')) as element
    from substances
),

rare_earth_element_list as (
    select list(element order by element) as elements
    from rare_earth_elements
),

dated_nodes as (
    select
        paths.*,
        items.item_id is not null as is_known_node,
        items.product_form,
        items.magnet_type,
        items.is_manufactured,
        items.own_elements,
        items.direct_part2_category as own_part2_category,
        items.part2_list_ref as own_part2_list_ref,
        coalesce(items.is_unclassifiable_magnet, false) as is_unclassifiable_magnet,
        coalesce(items.is_target_material_missing, false) as is_target_material_missing,
        items.unknown_code_reason,
        items.has_chinese_re_technology as item_flag_chinese_re_technology
    from paths
    left join items
        on paths.node_item_id = items.item_id
),

-- Content documents (not origin certificates) valid on the date, for the items looked at
-- and the magnets, targets and assemblies in their BOMs
documents_on_date as (
    select
        node_dates.node_item_id,
        node_dates.export_date,
        bool_or(certificate_lines.document_type = 'compliance_notice') as has_compliance_notice,
        min(certificate_lines.certificate_id) filter (
            where certificate_lines.document_type = 'compliance_notice'
        ) as compliance_notice_id
    from (
        select distinct
            node_item_id,
            export_date
        from dated_nodes
        where bom_depth = 0 or product_form in ('permanent_magnet', 'sputtering_target', 'assembly')
    ) as node_dates
    inner join certificate_lines
        on
            node_dates.node_item_id = certificate_lines.item_id
            and node_dates.export_date between certificate_lines.valid_from and certificate_lines.valid_to
            and certificate_lines.document_type != 'origin_certificate'
    group by node_dates.node_item_id, node_dates.export_date
),

-- Elements a magnet or target we make contains through its BOM: every rare-earth element a
-- component names (material form or certificate line), at any depth below it, on the date.
-- The BOM valid on a date does not depend on the path, so the result is per (item, date).
bom_elements as (
    select
        export_date,
        ancestor_item_id as node_item_id,
        list_sort(list_distinct(list(element))) as bom_elements
    from (
        select
            dated_nodes.export_date,
            unnest(list_slice(dated_nodes.path_item_ids, 1, len(dated_nodes.path_item_ids) - 1)) as ancestor_item_id,
            unnest(dated_nodes.own_elements) as element
        from dated_nodes
        where
            dated_nodes.bom_depth > 0
            and not dated_nodes.is_cycle
            and len(dated_nodes.own_elements) > 0
    ) as element_paths
    where element in (select rare_earth_elements.element from rare_earth_elements)
    group by export_date, ancestor_item_id
),

-- magnets and targets whose own data leave them open, read through their BOM on the date
open_nodes as (
    select distinct
        dated_nodes.export_date,
        dated_nodes.node_item_id,
        dated_nodes.magnet_type,
        dated_nodes.is_manufactured,
        dated_nodes.has_bom_on_date,
        dated_nodes.is_unclassifiable_magnet,
        dated_nodes.is_target_material_missing,
        -- the rare earths its own documents and its BOM name
        list_sort(list_intersect(
            list_distinct(list_concat(dated_nodes.own_elements, coalesce(bom_elements.bom_elements, []))),
            rare_earth_element_list.elements
        )) as known_elements,
        coalesce(bom_elements.bom_elements, []) as bom_elements
    from dated_nodes
    cross join rare_earth_element_list
    left join bom_elements
        on
            dated_nodes.export_date = bom_elements.export_date
            and dated_nodes.node_item_id = bom_elements.node_item_id
    where
        dated_nodes.own_part2_category is null
        and dated_nodes.unknown_code_reason is null
        and (
            (dated_nodes.product_form = 'permanent_magnet' and dated_nodes.magnet_type = 'NdFeB')
            or dated_nodes.is_target_material_missing
        )
),

magnet_readings as (
    select
        open_nodes.export_date,
        open_nodes.node_item_id,
        arg_min(magnet_categories.part2_category, magnet_categories.list_ref) as part2_category,
        min(magnet_categories.list_ref) as list_ref,
        string_agg(distinct magnet_categories.control_code_no18, ';' order by magnet_categories.control_code_no18)
            as control_codes
    from open_nodes
    inner join magnet_categories
        on
            open_nodes.magnet_type = magnet_categories.magnet_type
            and list_contains(open_nodes.bom_elements, magnet_categories.required_element)
    group by open_nodes.export_date, open_nodes.node_item_id
),

-- a target's material from its elements: every listed material with exactly those rare
-- earths; read only when all of them agree on Part 2 (Tb alone may be Tb, TbCo or the
-- unlisted TbFe: not readable)
target_readings as (
    select
        open_nodes.export_date,
        open_nodes.node_item_id,
        bool_and(target_materials.is_part2_item) as all_part2,
        bool_or(target_materials.is_part2_item) as any_part2,
        string_agg(target_materials.target_material, '/' order by target_materials.target_material) as candidates,
        string_agg(distinct target_materials.list_ref, ';' order by target_materials.list_ref) filter (
            where target_materials.is_part2_item
        ) as list_ref,
        string_agg(
            distinct target_materials.control_code_no18, ';' order by target_materials.control_code_no18
        ) filter (where target_materials.is_part2_item) as control_codes
    from open_nodes
    inner join target_materials
        on list_sort(string_split(target_materials.elements, ';')) = open_nodes.known_elements
    where open_nodes.is_target_material_missing and len(open_nodes.known_elements) > 0
    group by open_nodes.export_date, open_nodes.node_item_id
),

node_readings as (
    select
        open_nodes.export_date,
        open_nodes.node_item_id,
        case
            when open_nodes.is_target_material_missing and target_readings.all_part2 then 'target'
            when not open_nodes.is_target_material_missing then magnet_readings.part2_category
        end as part2_category,
        case
            when open_nodes.is_target_material_missing and target_readings.all_part2 then target_readings.list_ref
            when not open_nodes.is_target_material_missing then magnet_readings.list_ref
        end as list_ref,
        case
            when open_nodes.is_target_material_missing and target_readings.all_part2 then target_readings.control_codes
            when not open_nodes.is_target_material_missing then magnet_readings.control_codes
        end as control_codes,
        case
            -- the BOM speaks for a magnet we make: what it does not name, the magnet lacks
            when not open_nodes.is_target_material_missing and magnet_readings.part2_category is not null then null
            when not open_nodes.is_target_material_missing and open_nodes.has_bom_on_date then null
            when not open_nodes.is_target_material_missing and open_nodes.is_unclassifiable_magnet
                then case when open_nodes.is_manufactured then 'missing_bom' else 'missing_certificate' end
            when not open_nodes.is_target_material_missing then null
            when target_readings.all_part2 or not coalesce(target_readings.any_part2, true) then null
            else 'unknown_code'
        end as unclassifiable_reason,
        case
            when open_nodes.is_target_material_missing and target_readings.all_part2
                then 'target with no target_material whose documents and BOM name '
                    || array_to_string(open_nodes.known_elements, ', ') || ' (' || target_readings.candidates
                    || '): No. 61 Appendix 1 Part 2 ' || target_readings.list_ref
            when open_nodes.is_target_material_missing and target_readings.candidates is not null
                and not target_readings.any_part2
                then 'target with no target_material whose documents and BOM name '
                    || array_to_string(open_nodes.known_elements, ', ') || ' (' || target_readings.candidates
                    || '): not in the No. 61 Part 2 target list'
            when open_nodes.is_target_material_missing
                then 'target with no readable material'
                    || coalesce(
                        ' (its documents and BOM name '
                        || nullif(array_to_string(open_nodes.known_elements, ', '), '')
                        || ': ' || coalesce(target_readings.candidates, 'no listed material') || ')',
                        ''
                    )
                    || ': cannot tell whether it is a listed target'
            when magnet_readings.part2_category is not null
                then 'NdFeB permanent magnet whose BOM names ' || array_to_string(open_nodes.bom_elements, ', ')
                    || ': No. 61 Appendix 1 Part 2 ' || magnet_readings.list_ref
            when open_nodes.has_bom_on_date
                then 'NdFeB permanent magnet whose documents and BOM name no Tb or Dy'
                    || coalesce(' (' || nullif(array_to_string(open_nodes.known_elements, ', '), '') || ')', '')
                    || ': not a No. 61 Part 2 I.2/I.3 magnet material'
        end as reading_reason
    from open_nodes
    left join magnet_readings
        on
            open_nodes.export_date = magnet_readings.export_date
            and open_nodes.node_item_id = magnet_readings.node_item_id
    left join target_readings
        on
            open_nodes.export_date = target_readings.export_date
            and open_nodes.node_item_id = target_readings.node_item_id
),

-- every node on its date: what it is (own data, else its reading), and what is missing
nodes_classified as (
    select
        dated_nodes.*,
        coalesce(dated_nodes.own_part2_category, node_readings.part2_category) as node_part2_category,
        coalesce(dated_nodes.own_part2_list_ref, node_readings.list_ref) as node_part2_list_ref,
        node_readings.reading_reason,
        node_readings.control_codes as reading_control_codes,
        coalesce(documents_on_date.has_compliance_notice, false) as has_compliance_notice,
        documents_on_date.compliance_notice_id,
        documents_on_date.node_item_id is not null as has_document_on_date,
        case
            when dated_nodes.unknown_code_reason is not null then 'unknown_code'
            when node_readings.node_item_id is not null then node_readings.unclassifiable_reason
            when dated_nodes.is_unclassifiable_magnet
                then case when dated_nodes.is_manufactured then 'missing_bom' else 'missing_certificate' end
        end as unclassifiable_reason
    from dated_nodes
    left join node_readings
        on
            dated_nodes.export_date = node_readings.export_date
            and dated_nodes.node_item_id = node_readings.node_item_id
    left join documents_on_date
        on
            dated_nodes.export_date = documents_on_date.export_date
            and dated_nodes.node_item_id = documents_on_date.node_item_id
),

-- China-origin RE technology stated on a document valid on the date
document_technology as (
    select
        node_dates.node_item_id,
        node_dates.export_date,
        first(certificate_lines.certificate_id order by certificate_lines.certificate_id) as certificate_id
    from (
        select distinct
            node_item_id,
            export_date
        from dated_nodes
    ) as node_dates
    inner join certificate_lines
        on
            node_dates.node_item_id = certificate_lines.item_id
            and node_dates.export_date between certificate_lines.valid_from and certificate_lines.valid_to
    where certificate_lines.has_chinese_re_technology
    group by node_dates.node_item_id, node_dates.export_date
),

node_technology as (
    select
        nodes_classified.*,
        -- a Part 2 magnet or a module with a received Declaration of Compliance inside (I.4)
        not nodes_classified.is_cycle
        and nodes_classified.bom_depth > 0
        and (
            nodes_classified.node_part2_category like 'magnet_%'
            or (nodes_classified.product_form = 'assembly' and nodes_classified.has_compliance_notice)
        ) as is_inner_part2_magnet,
        coalesce(nodes_classified.item_flag_chinese_re_technology, false)
        or document_technology.certificate_id is not null as has_technology_evidence,
        case
            when document_technology.certificate_id is not null
                then 'certificate ' || document_technology.certificate_id || ' of ' || nodes_classified.node_item_id
            when nodes_classified.item_flag_chinese_re_technology
                then 'item master of ' || nodes_classified.node_item_id
        end as technology_evidence
    from nodes_classified
    left join document_technology
        on
            nodes_classified.node_item_id = document_technology.node_item_id
            and nodes_classified.export_date = document_technology.export_date
),

rolled_up as (
    select
        item_id,
        export_date,
        bool_or(is_inner_part2_magnet) as contains_part2_magnet,
        -- name a magnet itself before a module that carries a notice
        first(path_text order by node_part2_category is null, bom_depth, path_text) filter (
            where is_inner_part2_magnet
        ) as part2_magnet_path,
        bool_or(bom_depth > 0 and not is_cycle and unclassifiable_reason is not null) as contains_unclassifiable,
        first(unclassifiable_reason order by bom_depth, path_text) filter (
            where bom_depth > 0 and not is_cycle and unclassifiable_reason is not null
        ) as inner_unclassifiable_reason,
        first(path_text order by bom_depth, path_text) filter (
            where bom_depth > 0 and not is_cycle and unclassifiable_reason is not null
        ) as unclassifiable_path,
        -- the item itself (depth 0)
        first(node_part2_category) filter (where bom_depth = 0) as own_part2_category,
        first(node_part2_list_ref) filter (where bom_depth = 0) as own_part2_list_ref,
        first(reading_reason) filter (where bom_depth = 0) as own_reading_reason,
        first(reading_control_codes) filter (where bom_depth = 0) as own_reading_control_codes,
        first(unclassifiable_reason) filter (where bom_depth = 0) as own_unclassifiable_reason,
        coalesce(first(has_bom_on_date) filter (where bom_depth = 0), false) as has_bom_on_date,
        coalesce(first(has_document_on_date) filter (where bom_depth = 0), false) as has_document_on_date,
        coalesce(first(has_compliance_notice) filter (where bom_depth = 0), false) as has_compliance_notice,
        first(compliance_notice_id) filter (where bom_depth = 0) as compliance_notice_id,
        bool_or(bom_depth = 0 and has_technology_evidence) as has_own_technology_evidence,
        first(technology_evidence order by technology_evidence) filter (
            where bom_depth = 0 and has_technology_evidence
        ) as own_technology_evidence,
        bool_or(
            bom_depth > 0 and not is_cycle and node_part2_category is not null and has_technology_evidence
        ) as has_inner_technology_evidence,
        first(technology_evidence order by bom_depth, path_text) filter (
            where bom_depth > 0 and not is_cycle and node_part2_category is not null and has_technology_evidence
        ) as inner_technology_evidence,
        bool_or(is_cycle) as has_bom_cycle,
        first(path_text order by path_text) filter (where is_cycle) as bom_cycle_path,
        bool_or(is_depth_limit_reached) as has_bom_depth_limit,
        bool_or(is_overlapping_path) as has_bom_overlap
    from node_technology
    group by item_id, export_date
),

-- Production origin of a purchased Part 1 material (RULES.md §5): the item master, its
-- certificates valid on the date (origin lines of any document type) and its latest
-- receipt on or before the date.
part1_roots as (
    select
        rolled_up.item_id,
        rolled_up.export_date,
        items.country_of_manufacture
    from rolled_up
    inner join items
        on rolled_up.item_id = items.item_id
    where items.is_part1_item and items.item_type = 'purchased'
),

part1_origin_evidence as (
    select
        item_id,
        export_date,
        country_of_manufacture as origin_country,
        'item master' as evidence_source
    from part1_roots
    union all
    select
        part1_roots.item_id,
        part1_roots.export_date,
        certificate_lines.origin_country,
        'certificate ' || certificate_lines.certificate_id as evidence_source
    from part1_roots
    inner join certificate_lines
        on
            part1_roots.item_id = certificate_lines.item_id
            and part1_roots.export_date between certificate_lines.valid_from and certificate_lines.valid_to
    where certificate_lines.origin_country is not null
    union all
    select
        part1_roots.item_id,
        part1_roots.export_date,
        purchase_lines.country_of_origin,
        'receipt ' || purchase_lines.po_line_id as evidence_source
    from part1_roots
    asof inner join purchase_lines
        on
            part1_roots.item_id = purchase_lines.item_id
            and part1_roots.export_date >= purchase_lines.receipt_date
    where purchase_lines.country_of_origin is not null
),

part1_origins as (
    select
        item_id,
        export_date,
        count(distinct origin_country) > 1 as has_origin_conflict,
        bool_or(origin_country = 'CN') as has_china_origin,
        string_agg(evidence_source || ': ' || origin_country, ', ' order by evidence_source) as origin_evidence
    from part1_origin_evidence
    where origin_country is not null
    group by item_id, export_date
),

readings as (
    select
        rolled_up.*,
        items.item_id is not null as is_known_item,
        items.item_type,
        items.product_form,
        items.is_manufactured,
        coalesce(items.is_part1_item, false) as is_part1_item,
        coalesce(items.control_codes, rolled_up.own_reading_control_codes) as control_codes,
        items.classification_reason as own_classification_reason,
        items.unknown_code_reason,
        items.standard_cost,
        items.standard_cost_currency,
        -- the production country the rules read: a purchased Part 1 material whose
        -- certificates or receipt say China is produced in China (conservative; a
        -- disagreement is origin_conflict, review)
        case when part1_origins.has_china_origin then 'CN' else items.country_of_manufacture end
            as country_of_manufacture,
        coalesce(part1_origins.has_origin_conflict, false) as has_origin_conflict,
        case when part1_origins.has_origin_conflict then part1_origins.origin_evidence end as origin_conflict_evidence,
        -- an item we make (or any assembly) with no BOM valid on the date and no document
        -- that speaks for it: its content cannot be known (RULES.md §3)
        items.item_id is not null
        and not coalesce(items.is_part1_item, false)
        and items.unknown_code_reason is null
        and (items.is_manufactured or items.product_form = 'assembly')
        and not rolled_up.has_bom_on_date
        and not rolled_up.has_document_on_date as has_missing_bom
    from rolled_up
    left join items
        on rolled_up.item_id = items.item_id
    left join part1_origins
        on
            rolled_up.item_id = part1_origins.item_id
            and rolled_up.export_date = part1_origins.export_date
),

scoped as (
    select
        readings.*,
        -- magnet materials and targets only (strict), plus Part 2 I.4 (broad)
        readings.own_part2_category as part2_category_strict,
        case
            when readings.own_part2_category is not null then readings.own_part2_category
            when readings.contains_part2_magnet then 'magnet_part'
            when readings.product_form = 'assembly' and readings.has_compliance_notice then 'magnet_part'
        end as part2_category_broad,
        -- why the item may be a Part 2 (or Part 1) item but the data cannot tell
        case
            when readings.own_part2_category is not null then null
            when readings.unknown_code_reason is not null then 'unknown_code'
            else readings.own_unclassifiable_reason
        end as part2_undetermined_reason_strict,
        case
            when readings.own_part2_category is not null then null
            when readings.contains_part2_magnet then null
            when readings.product_form = 'assembly' and readings.has_compliance_notice then null
            when readings.unknown_code_reason is not null then 'unknown_code'
            when readings.own_unclassifiable_reason is not null then readings.own_unclassifiable_reason
            when readings.has_missing_bom then 'missing_bom'
            when readings.contains_unclassifiable then readings.inner_unclassifiable_reason
        end as part2_undetermined_reason_broad
    from readings
),

explained as (
    select
        scoped.*,
        coalesce(scoped.own_reading_reason, scoped.own_classification_reason) as classification_reason_strict,
        case
            when scoped.own_part2_category is not null or scoped.own_reading_reason is not null
                then coalesce(scoped.own_reading_reason, scoped.own_classification_reason)
            when scoped.contains_part2_magnet
                then 'contains a No. 61 Part 2 I.1-3 magnet on the BOM path ' || scoped.part2_magnet_path
                    || ': Part 2 I.4 (part2_scope = broad)'
            when scoped.product_form = 'assembly' and scoped.has_compliance_notice
                then 'assembly for which Declaration of Compliance ' || scoped.compliance_notice_id
                    || ' was received: a No. 61 controlled module, Part 2 I.4 (part2_scope = broad)'
            when scoped.part2_undetermined_reason_broad = 'missing_bom' and scoped.own_unclassifiable_reason is null
                then coalesce(scoped.product_form, 'unspecified')
                    || ' item with no bill of materials valid on the date and no document: '
                    || 'cannot tell whether it contains a Part 2 magnet'
            when scoped.part2_undetermined_reason_broad is not null and scoped.unclassifiable_path is not null
                and scoped.own_unclassifiable_reason is null and scoped.unknown_code_reason is null
                then 'contains ' || scoped.unclassifiable_path || ', which cannot be classified ('
                    || scoped.inner_unclassifiable_reason || ')'
            else scoped.own_classification_reason
        end as classification_reason_broad,
        scoped.has_own_technology_evidence as has_chinese_re_technology_strict,
        scoped.has_own_technology_evidence or scoped.has_inner_technology_evidence
            as has_chinese_re_technology_broad,
        scoped.own_technology_evidence as technology_evidence_strict,
        coalesce(scoped.own_technology_evidence, scoped.inner_technology_evidence) as technology_evidence_broad
    from scoped
),

final as (
    select
        item_id || '|' || cast(export_date as varchar) as item_date_id,
        item_id,
        export_date,
        is_known_item,
        is_part1_item,
        part2_category_broad,
        part2_category_strict,
        {{ select_by_var('part2_scope', {'broad': 'part2_category_broad', 'strict': 'part2_category_strict'}) }}
            as part2_category,
        classification_reason_broad,
        classification_reason_strict,
        {{ select_by_var('part2_scope', {
            'broad': 'classification_reason_broad', 'strict': 'classification_reason_strict',
        }) }} as classification_reason,
        part2_undetermined_reason_broad,
        part2_undetermined_reason_strict,
        {{ select_by_var('part2_scope', {
            'broad': 'part2_undetermined_reason_broad', 'strict': 'part2_undetermined_reason_strict',
        }) }} as part2_undetermined_reason,
        part2_undetermined_reason_broad is not null as is_part2_undetermined_broad,
        part2_undetermined_reason_strict is not null as is_part2_undetermined_strict,
        {{ select_by_var('part2_scope', {
            'broad': 'part2_undetermined_reason_broad', 'strict': 'part2_undetermined_reason_strict',
        }) }} is not null as is_part2_undetermined,
        unknown_code_reason,
        unknown_code_reason is not null as has_unknown_code,
        has_missing_bom,
        has_origin_conflict,
        origin_conflict_evidence,
        control_codes,
        country_of_manufacture,
        standard_cost,
        standard_cost_currency,
        has_chinese_re_technology_broad,
        has_chinese_re_technology_strict,
        {{ select_by_var('part2_scope', {
            'broad': 'has_chinese_re_technology_broad', 'strict': 'has_chinese_re_technology_strict',
        }) }} as has_chinese_re_technology,
        technology_evidence_broad,
        technology_evidence_strict,
        {{ select_by_var('part2_scope', {
            'broad': 'technology_evidence_broad', 'strict': 'technology_evidence_strict',
        }) }} as technology_evidence,
        has_bom_cycle,
        bom_cycle_path,
        has_bom_depth_limit,
        has_bom_overlap
    from explained
)

select * from final
