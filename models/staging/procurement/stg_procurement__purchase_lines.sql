with purchase_lines as (
    select * from {{ source('procurement', 'purchase_lines') }}
    {{ keep_latest_version(['po_line_id']) }}
),

final as (
    select
        po_line_id,
        po_number,
        supplier_id,
        item_id,
        quantity,
        unit_price,
        currency,
        order_date,
        receipt_date,
        country_of_origin,
        extracted_at,
        _batch_id as batch_id
    from purchase_lines
)

select * from final
