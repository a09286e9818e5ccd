{#- True when some load batch holds the extract's Parquet. Every batch writes every extract of
    the contract, but a warehouse loaded before an optional extract joined the contract has
    none: its staging model then reads an empty, typed relation instead of failing. At
    parse time (no database) it is true, so the source() dependency is always recorded. -#}
{% macro raw_extract_loaded(system, extract) %}
    {%- if not execute -%}
        {{ return(true) }}
    {%- endif -%}
    {%- set pattern = env_var('REE_WAREHOUSE_DIR', 'warehouse') ~ '/raw/batches/*/' ~ system ~ '/' ~ extract ~ '/*.parquet' -%}
    {%- set found = run_query("select count(*) from glob('" ~ pattern | replace("'", "''") ~ "')") -%}
    {{ return(found.columns[0].values()[0] > 0) }}
{% endmacro %}
