-- What each item is under No. 61 Appendix 1 and the No. 18 / No. 57 control list, from
-- its own master data and the substances its own documents declare. What its bill of
-- materials adds (a magnet or target we make, Part 2 I.4 assemblies) depends on the date
-- and is read in int_item_dates_classified.
--
-- Vocabulary (RULES.md §2): substance, material-form, magnet-type and target codes are
-- matched case-insensitively against the control-list seeds; a code the vocabulary does
-- not know is never read as "not listed" (unknown_code_reason, review downstream).
with items as (
    select * from {{ ref('stg_erp__items') }}
),

certificate_lines as (
    select * from {{ ref('stg_certificates__material_declarations') }}
),

substances as (
    select
        *,
        lower(substance) as substance_key
    from {{ ref('rare_earth_substances') }}
),

magnet_categories as (
    select * from {{ ref('part2_magnet_categories') }}
),

target_materials as (
    select
        *,
        lower(regexp_replace(target_material, '[^A-Za-z0-9]', '', 'g')) as target_material_key
    from {{ ref('part2_target_materials') }}
),

-- the magnet types of the contract, matched case-insensitively
magnet_types as (
    select
        known.magnet_type,
        lower(known.magnet_type) as magnet_type_key
    from (values ('NdFeB'), ('SmCo'), ('ferrite'), ('AlNiCo'), ('other')) as known (magnet_type)
),

-- "Whether an NdFeB magnet contains Tb or Dy is read from its own certificates (any
-- Tb/Dy substance line, any origin)" (RULES.md §2): the element column, or the
-- substance's elements (TbDyFe_alloy carries both), on any document about the item.
certificate_elements as (
    select
        certificate_lines.item_id,
        certificate_lines.certificate_id,
        certificate_lines.line_no,
        -- a substance that names no element we can read: the line's composition is unknown
        -- (a line naming nothing that states 0 g and no value declares no rare earth)
        certificate_lines.element is null
        and substances.substance is null
        and (
            certificate_lines.substance is not null
            or coalesce(certificate_lines.mass_g_per_unit, 0) > 0
            or coalesce(certificate_lines.content_value_per_unit, 0) > 0
        ) as is_unreadable_line,
        list_distinct(
            list_concat(
                case
                    when certificate_lines.element is null then []
                    else [{{ element_symbol('certificate_lines.element') }}]
                end,
                coalesce(string_split(substances.elements, ';'), [])
            )
        ) as elements
    from certificate_lines
    left join substances
        on lower(trim(certificate_lines.substance)) = substances.substance_key
),

item_composition as (
    select
        item_id,
        list_sort(list_distinct(flatten(list(elements)))) as document_elements,
        bool_or(is_unreadable_line) as has_unreadable_line,
        min(certificate_id || '#' || cast(line_no as varchar)) filter (where is_unreadable_line) as unreadable_line_ref
    from certificate_elements
    group by item_id
),

resolved as (
    select
        items.*,
        magnet_types.magnet_type as magnet_type_canonical,
        substances.substance as material_form_canonical,
        substances.is_part1_item as is_part1_form,
        substances.control_code_no18 as material_control_code_no18,
        substances.control_code_no57 as material_control_code_no57,
        item_composition.item_id is not null as has_own_documents,
        coalesce(item_composition.has_unreadable_line, false) as has_unreadable_line,
        item_composition.unreadable_line_ref,
        -- what the item's own data say it contains: its documents and its material form
        list_sort(list_distinct(list_concat(
            coalesce(item_composition.document_elements, []),
            coalesce(string_split(substances.elements, ';'), [])
        ))) as own_elements,
        target_materials.target_material as target_material_canonical,
        target_materials.is_part2_item as is_part2_target_material,
        target_materials.list_ref as target_list_ref,
        target_materials.control_code_no18 as target_control_code_no18,
        target_materials.control_code_no57 as target_control_code_no57
    from items
    left join item_composition
        on items.item_id = item_composition.item_id
    left join magnet_types
        on lower(trim(items.magnet_type)) = magnet_types.magnet_type_key
    left join substances
        on lower(trim(items.material_form)) = substances.substance_key
    left join target_materials
        on items.target_material_key = target_materials.target_material_key
),

magnet_matches as (
    select
        resolved.item_id,
        magnet_categories.part2_category,
        magnet_categories.list_ref,
        magnet_categories.control_code_no18
    from resolved
    inner join magnet_categories
        on
            resolved.magnet_type_canonical = magnet_categories.magnet_type
            and (
                magnet_categories.required_element is null
                or list_contains(resolved.own_elements, magnet_categories.required_element)
            )
    where resolved.product_form = 'permanent_magnet'
),

magnets as (
    select
        item_id,
        -- Tb and Dy together: I.2 is listed first and names the category; both codes apply.
        arg_min(part2_category, list_ref) as part2_category,
        min(list_ref) as list_ref,
        string_agg(distinct control_code_no18, ';' order by control_code_no18) as control_codes
    from magnet_matches
    group by item_id
),

classified as (
    select
        resolved.item_id,
        resolved.item_type,
        resolved.item_type = 'manufactured' as is_manufactured,
        resolved.product_form,
        coalesce(resolved.magnet_type_canonical, resolved.magnet_type) as magnet_type,
        resolved.target_material,
        coalesce(resolved.material_form_canonical, resolved.material_form) as material_form,
        resolved.country_of_manufacture,
        resolved.has_chinese_re_technology,
        resolved.standard_cost,
        resolved.standard_cost_currency,
        resolved.has_own_documents,
        resolved.own_elements,
        nullif(array_to_string(resolved.own_elements, ', '), '') as declared_elements,
        coalesce(resolved.product_form = 'rare_earth_material' and resolved.is_part1_form, false) as is_part1_item,
        case
            when resolved.product_form = 'permanent_magnet' then magnets.part2_category
            when resolved.product_form = 'sputtering_target' and resolved.is_part2_target_material then 'target'
        end as direct_part2_category,
        case
            when resolved.product_form = 'permanent_magnet' then magnets.list_ref
            when resolved.product_form = 'sputtering_target' and resolved.is_part2_target_material
                then resolved.target_list_ref
        end as part2_list_ref,
        -- An NdFeB magnet whose composition its own documents do not state: it may be
        -- I.2/I.3 (never silently "not Part 2"); a magnet or target we make may still be
        -- read through its BOM on the date (int_item_dates_classified).
        coalesce(
            resolved.product_form = 'permanent_magnet'
            and resolved.magnet_type_canonical = 'NdFeB'
            and magnets.part2_category is null
            and (not resolved.has_own_documents or resolved.has_unreadable_line),
            false
        ) as is_unclassifiable_magnet,
        -- a target with no target_material: its material is read from its documents' and
        -- its BOM's elements (int_item_dates_classified)
        coalesce(resolved.product_form = 'sputtering_target' and resolved.target_material_key is null, false)
            as is_target_material_missing,
        -- codes the vocabulary does not know: review, never "not listed"
        case
            when resolved.product_form = 'permanent_magnet' and resolved.magnet_type is null
                then 'permanent magnet with no magnet_type'
            when resolved.product_form = 'permanent_magnet' and resolved.magnet_type_canonical is null
                then 'magnet_type ' || resolved.magnet_type || ' is not a known magnet type'
            when resolved.product_form = 'sputtering_target'
                and resolved.target_material_key is not null
                and resolved.target_material_canonical is null
                then 'target material ' || resolved.target_material || ' is not in the control-list vocabulary'
            when resolved.product_form = 'rare_earth_material' and resolved.material_form is null
                then 'rare-earth material with no material_form'
            when resolved.product_form = 'rare_earth_material' and resolved.material_form_canonical is null
                then 'material form ' || resolved.material_form || ' is not a known substance code'
            when resolved.product_form in ('permanent_magnet', 'sputtering_target')
                and resolved.has_unreadable_line
                and magnets.part2_category is null
                and not coalesce(resolved.is_part2_target_material, false)
                then 'document line ' || resolved.unreadable_line_ref
                    || ' names a substance the vocabulary does not know'
        end as unknown_code_reason,
        nullif(
            concat_ws(
                ';',
                case when resolved.product_form = 'rare_earth_material' then resolved.material_control_code_no18 end,
                case when resolved.product_form = 'rare_earth_material' then resolved.material_control_code_no57 end,
                case when resolved.product_form = 'permanent_magnet' then magnets.control_codes end,
                case when resolved.product_form = 'sputtering_target' then resolved.target_control_code_no18 end,
                case when resolved.product_form = 'sputtering_target' then resolved.target_control_code_no57 end
            ),
            ''
        ) as control_codes,
        case
            when resolved.product_form = 'rare_earth_material' and resolved.is_part1_form
                then 'material form ' || resolved.material_form_canonical || ' is listed in No. 61 Appendix 1 Part 1'
            when resolved.product_form = 'rare_earth_material' and resolved.material_form_canonical is not null
                then 'material form ' || resolved.material_form_canonical
                    || ' is not a Part 1 form of No. 61 Appendix 1'
            when resolved.product_form = 'rare_earth_material'
                then 'material form ' || coalesce(resolved.material_form, '(none)')
                    || ' is not a known substance code: cannot tell whether it is a Part 1 form'
            when resolved.product_form = 'permanent_magnet' and magnets.part2_category is not null
                then resolved.magnet_type_canonical || ' permanent magnet'
                    || case
                        when resolved.magnet_type_canonical = 'NdFeB'
                            then ' whose own documents declare ' || array_to_string(resolved.own_elements, ', ')
                        else ''
                    end
                    || ': No. 61 Appendix 1 Part 2 ' || magnets.list_ref
            when resolved.product_form = 'permanent_magnet' and resolved.magnet_type_canonical is null
                then 'permanent magnet of unknown type (' || coalesce(resolved.magnet_type, 'no magnet_type')
                    || '): cannot tell whether it is a Part 2 magnet'
            when resolved.product_form = 'permanent_magnet'
                and resolved.magnet_type_canonical = 'NdFeB'
                and (not resolved.has_own_documents or resolved.has_unreadable_line)
                then 'NdFeB permanent magnet with no certificate stating its composition: '
                    || 'cannot tell whether it contains Tb or Dy'
            when resolved.product_form = 'permanent_magnet'
                then resolved.magnet_type_canonical || ' permanent magnet'
                    || coalesce(' declaring ' || nullif(array_to_string(resolved.own_elements, ', '), ''), '')
                    || ': not a No. 61 Part 2 I.1-3 magnet material'
            when resolved.product_form = 'sputtering_target' and resolved.is_part2_target_material
                then resolved.target_material || ' target: No. 61 Appendix 1 Part 2 ' || resolved.target_list_ref
            when resolved.product_form = 'sputtering_target' and resolved.target_material_key is null
                then 'target with no target_material: its material is read from its documents and BOM'
            when resolved.product_form = 'sputtering_target' and resolved.target_material_canonical is null
                then resolved.target_material
                    || ' target: not in the control-list vocabulary, cannot tell whether it is listed'
            when resolved.product_form = 'sputtering_target'
                then resolved.target_material
                    || ' target: not in the No. 61 Part 2 target list (read as published)'
            else coalesce(resolved.product_form, 'unspecified') || ' item: classified from its bill of materials'
        end as classification_reason
    from resolved
    left join magnets
        on resolved.item_id = magnets.item_id
),

final as (
    select * from classified
)

select * from final
