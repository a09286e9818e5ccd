with declarations as (
    select * from {{ source('customs', 'export_declarations') }}
    {{ keep_latest_version(['declaration_id', 'line_no']) }}
),

final as (
    select
        declaration_id || '-' || cast(line_no as {{ text_type() }}) as shipment_line_id,
        declaration_id,
        line_no,
        export_date,
        exporter_entity_id,
        exporter_country,
        item_id,
        quantity,
        line_value,
        currency,
        destination_country,
        consignee_party_id,
        end_user_party_id,
        end_use_code,
        end_use_statement,
        hs_code,
        customs_remarks,
        extracted_at,
        _batch_id as batch_id
    from declarations
)

select * from final
