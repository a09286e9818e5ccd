{#- Loads accumulate (contracts/raw_extracts.md): per key, the row of the newest batch wins;
    within one batch, the later file, then the later line. Under var as_known_at only the
    batches loaded by then are read (as_known_at_filter), so it goes right after the source. -#}
{% macro keep_latest_version(key_columns) -%}
    {{ as_known_at_filter('_batch_id') }}
    qualify row_number() over (
        partition by {{ key_columns | join(', ') }}
        order by _batch_id desc, _source_file desc, _row_number desc
    ) = 1
{%- endmacro %}
