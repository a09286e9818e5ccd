-- What each item is under No. 61 Appendix 1 and the No. 18 / No. 57 control list, from
-- its own master data and the substances its certificates declare. Assemblies (I.4) are
-- classified per export date from their bills of materials in int_item_dates_classified.
with items as (
    select * from {{ ref('stg_erp__items') }}
),

certificate_lines as (
    select * from {{ ref('stg_certificates__material_declarations') }}
),

substances as (
    select * from {{ ref('rare_earth_substances') }}
),

magnet_categories as (
    select * from {{ ref('part2_magnet_categories') }}
),

target_materials as (
    select * from {{ ref('part2_target_materials') }}
),

-- "Whether an NdFeB magnet contains Tb or Dy is read from its certificates (any Tb/Dy
-- substance line, any origin)" (RULES.md §2): the element column, or the substance's
-- elements (TbDyFe_alloy carries both), on any document about the item.
certificate_elements as (
    select distinct
        certificate_lines.item_id,
        unnest(
            list_distinct(
                list_concat(
                    case when certificate_lines.element is null then [] else [certificate_lines.element] end,
                    coalesce(string_split(substances.elements, ';'), [])
                )
            )
        ) as element
    from certificate_lines
    left join substances
        on certificate_lines.substance = substances.substance
),

item_composition as (
    select
        item_id,
        bool_or(element = 'Tb') as declares_tb,
        bool_or(element = 'Dy') as declares_dy,
        string_agg(distinct element, ', ' order by element) as declared_elements
    from certificate_elements
    group by item_id
),

magnet_matches as (
    select
        items.item_id,
        magnet_categories.part2_category,
        magnet_categories.list_ref,
        magnet_categories.control_code_no18
    from items
    left join item_composition
        on items.item_id = item_composition.item_id
    inner join magnet_categories
        on
            items.magnet_type = magnet_categories.magnet_type
            and (
                magnet_categories.required_element is null
                or (magnet_categories.required_element = 'Tb' and item_composition.declares_tb)
                or (magnet_categories.required_element = 'Dy' and item_composition.declares_dy)
            )
    where items.product_form = 'permanent_magnet'
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
        items.item_id,
        items.item_type,
        items.product_form,
        items.magnet_type,
        items.target_material,
        items.material_form,
        items.country_of_manufacture,
        items.has_chinese_re_technology,
        items.standard_cost,
        items.standard_cost_currency,
        item_composition.declared_elements,
        coalesce(items.product_form = 'rare_earth_material' and substances.is_part1_item, false) as is_part1_item,
        case
            when items.product_form = 'permanent_magnet' then magnets.part2_category
            when items.product_form = 'sputtering_target' and target_materials.is_part2_item then 'target'
        end as direct_part2_category,
        coalesce(magnets.list_ref, case when target_materials.is_part2_item then target_materials.list_ref end)
            as part2_list_ref,
        -- An NdFeB magnet whose composition no document states cannot be classified:
        -- it may be I.2/I.3 (never silently "not Part 2").
        (
            items.product_form = 'permanent_magnet'
            and items.magnet_type = 'NdFeB'
            and item_composition.item_id is null
        ) as is_unclassifiable_magnet,
        nullif(
            concat_ws(
                ';',
                case when items.product_form = 'rare_earth_material' then substances.control_code_no18 end,
                case when items.product_form = 'rare_earth_material' then substances.control_code_no57 end,
                case when items.product_form = 'permanent_magnet' then magnets.control_codes end,
                case when items.product_form = 'sputtering_target' then target_materials.control_code_no18 end,
                case when items.product_form = 'sputtering_target' then target_materials.control_code_no57 end
            ),
            ''
        ) as control_codes,
        case
            when items.product_form = 'rare_earth_material' and substances.is_part1_item
                then 'material form ' || items.material_form || ' is listed in No. 61 Appendix 1 Part 1'
            when items.product_form = 'rare_earth_material' and substances.substance is not null
                then 'material form ' || items.material_form || ' is not a Part 1 form of No. 61 Appendix 1'
            when items.product_form = 'rare_earth_material'
                then 'material form ' || coalesce(items.material_form, '(none)') || ' is not a known substance code'
            when items.product_form = 'permanent_magnet' and magnets.part2_category is not null
                then items.magnet_type || ' permanent magnet'
                    || case
                        when items.magnet_type = 'NdFeB'
                            then ' whose certificates declare ' || item_composition.declared_elements
                        else ''
                    end
                    || ': No. 61 Appendix 1 Part 2 ' || magnets.list_ref
            when items.product_form = 'permanent_magnet'
                and items.magnet_type = 'NdFeB'
                and item_composition.item_id is null
                then 'NdFeB permanent magnet with no certificate stating its composition: '
                    || 'cannot tell whether it contains Tb or Dy'
            when items.product_form = 'permanent_magnet'
                then coalesce(items.magnet_type, 'unspecified') || ' permanent magnet'
                    || coalesce(' declaring ' || item_composition.declared_elements, '')
                    || ': not a No. 61 Part 2 I.1-3 magnet material'
            when items.product_form = 'sputtering_target' and target_materials.is_part2_item
                then items.target_material || ' target: No. 61 Appendix 1 Part 2 ' || target_materials.list_ref
            when items.product_form = 'sputtering_target'
                then coalesce(items.target_material, 'unspecified')
                    || ' target: not in the No. 61 Part 2 target list (read as published)'
            else coalesce(items.product_form, 'unspecified') || ' item: classified from its bill of materials'
        end as classification_reason
    from items
    left join item_composition
        on items.item_id = item_composition.item_id
    left join substances
        on items.material_form = substances.substance
    left join magnets
        on items.item_id = magnets.item_id
    left join target_materials
        on items.target_material_key = lower(target_materials.target_material)
),

final as (
    select * from classified
)

select * from final
