{#- Loads accumulate (contracts/raw_extracts.md): per key, the row of the newest batch wins;
    within one batch, the later file, then the later line. -#}
{% macro keep_latest_version(key_columns) -%}
    qualify row_number() over (
        partition by {{ key_columns | join(', ') }}
        order by _batch_id desc, _source_file desc, _row_number desc
    ) = 1
{%- endmacro %}
