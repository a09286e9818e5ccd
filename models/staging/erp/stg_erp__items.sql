with items as (
    select * from {{ source('erp', 'items') }}
    {{ keep_latest_version(['item_id']) }}
),

final as (
    select
        item_id,
        description as item_description,
        item_type,
        product_form,
        magnet_type,
        target_material,
        -- Target and substance codes are matched case- and punctuation-insensitively
        -- ('Tb-Co', 'TbCo', 'tbco' are one material).
        lower({{ regex_replace('target_material', '[^A-Za-z0-9]', '') }}) as target_material_key,
        material_form,
        country_of_manufacture,
        hs_code,
        {{ flag_to_boolean('chinese_re_technology') }} as has_chinese_re_technology,
        standard_cost,
        standard_cost_currency,
        extracted_at,
        _batch_id as batch_id
    from items
)

select * from final
