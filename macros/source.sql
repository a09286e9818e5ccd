{#- The raw zone is Parquet files, read in place on every engine. Each source's
    meta.external_location holds DuckDB's read_parquet(...) (dbt-duckdb reads it itself);
    on other adapters this override of source() turns the same glob into a path-based
    relation (Spark: parquet.`<glob>`), so the yml stays the one place a path is written.
    builtins.source() is always called, so lineage and `source:` selection are unchanged. -#}
{% macro source(source_name, table_name) -%}
    {%- set relation = builtins.source(source_name, table_name) -%}
    {%- if target.type == 'duckdb' or not execute -%}
        {{ return(relation) }}
    {%- endif -%}
    {{ return(adapter.dispatch('raw_source_relation')(source_name, table_name, relation)) }}
{%- endmacro %}

{% macro default__raw_source_relation(source_name, table_name, relation) -%}
    {{ return(relation) }}
{%- endmacro %}

{% macro spark__raw_source_relation(source_name, table_name, relation) -%}
    {%- set node = graph.sources['source.' ~ project_name ~ '.' ~ source_name ~ '.' ~ table_name] -%}
    {%- set location = node.meta.get('external_location') or node.source_meta.get('external_location') -%}
    {%- set found = modules.re.match("^\\s*read_parquet\\('([^']+)'", location or '') -%}
    {%- if not found -%}
        {{ exceptions.raise_compiler_error(
            "source " ~ source_name ~ "." ~ table_name ~ ": meta.external_location must be read_parquet('<glob>', ...), got " ~ location
        ) }}
    {%- endif -%}
    {{ return("parquet.`" ~ found.group(1).replace('{name}', table_name) ~ "`") }}
{%- endmacro %}
