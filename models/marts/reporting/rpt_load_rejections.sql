-- The quarantine made visible: one row per rejected input row (or stray file) of every
-- load batch, with the file, line (header = line 1), column, value and reason.
with rejections as (
    select * from {{ ref('stg_load_audit__rejections') }}
),

final as (
    select
        rejection_id,
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
