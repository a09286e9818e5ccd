with files as (
    select * from {{ source('load_audit', 'files') }}
    {{ as_known_at_filter('batch_id') }}
),

final as (
    select
        batch_id || '|' || source_file as load_file_id,
        batch_id,
        extract,
        source_file,
        sha256,
        size_bytes,
        rows_read,
        rows_loaded,
        rows_rejected,
        identical_duplicates,
        skipped as is_skipped,
        loaded_at
    from files
)

select * from final
