-- One row per item of the item master: what it is under No. 61 Appendix 1 and the control
-- list, as of as_of_date (assemblies are Part 2 I.4 from the BOM valid on that date), and why.
with items as (
    select * from {{ ref('stg_erp__items') }}
),

classified as (
    select * from {{ ref('int_item_dates_classified') }}
    where export_date = {{ as_of_date() }}
),

final as (
    select
        items.item_id,
        items.item_description,
        items.item_type,
        items.product_form,
        items.magnet_type,
        items.target_material,
        items.material_form,
        items.country_of_manufacture,
        items.hs_code,
        items.standard_cost,
        items.standard_cost_currency,
        classified.is_part1_item,
        classified.part2_category,
        classified.is_part2_undetermined,
        coalesce(classified.control_codes, '') as control_codes,
        classified.has_chinese_re_technology,
        classified.technology_evidence,
        classified.has_bom_cycle,
        classified.bom_cycle_path,
        classified.classification_reason,
        classified.export_date as classified_as_of
    from items
    left join classified
        on items.item_id = classified.item_id
)

select * from final
