with rejections as (
    select * from {{ source('load_audit', 'rejections') }}
    {{ as_known_at_filter('batch_id') }}
),

final as (
    select
        batch_id || '-' || lpad(cast(row_number() over (
            partition by batch_id order by source_file, row_number nulls first, column_name, reason
        ) as {{ text_type() }}), 8, '0') as rejection_id,
        extract,
        source_file,
        row_number,
        column_name,
        value,
        reason,
        batch_id,
        loaded_at
    from rejections
)

select * from final
