with bom as (
    select * from {{ source('erp', 'bom') }}
    {{ keep_latest_version(['parent_item_id', 'component_item_id', 'valid_from']) }}
),

final as (
    select
        parent_item_id || '>' || component_item_id || '@' || {{ date_text('valid_from') }} as bom_line_id,
        parent_item_id,
        component_item_id,
        quantity_per,
        valid_from,
        -- Open-ended lines run to the end of time so that interval joins need no null case.
        coalesce(valid_to, date '9999-12-31') as valid_to,
        valid_to is null as is_open_ended,
        extracted_at,
        _batch_id as batch_id
    from bom
)

select * from final
