{#- As-known-at replay (ree build --as-known-at): with var as_known_at set (a UTC timestamp),
    a `where` clause keeping only the rows of the load batches loaded by then (loaded_at in
    the batch's load audit, load_audit/files); without it, nothing. Every read of the raw zone goes through
    it: keep_latest_version for the extracts, the load-audit staging models directly. -#}
{% macro as_known_at_filter(batch_column='_batch_id') -%}
    {%- if var('as_known_at', none) -%}
        where {{ batch_column }} in (
            select known_batches.batch_id
            from {{ source('load_audit', 'files') }} as known_batches
            where known_batches.loaded_at <= cast('{{ var("as_known_at") }}' as timestamp)
        )
    {%- endif -%}
{%- endmacro %}
