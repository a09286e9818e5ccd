with declarations as (
    select * from {{ source('certificates', 'material_declarations') }}
    {{ keep_latest_version(['certificate_id', 'line_no']) }}
),

final as (
    select
        certificate_id || '#' || cast(line_no as {{ text_type() }}) as certificate_line_id,
        certificate_id,
        line_no,
        supplier_id,
        item_id,
        document_type,
        substance,
        element,
        mass_g_per_unit,
        content_value_per_unit,
        content_value_currency,
        origin_country,
        {{ flag_to_boolean('chinese_re_technology') }} as has_chinese_re_technology,
        declared_value_share_pct,
        issued_on,
        valid_from,
        coalesce(valid_to, date '9999-12-31') as valid_to,
        extracted_at,
        _batch_id as batch_id
    from declarations
)

select * from final
