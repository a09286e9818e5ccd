{#- Seeds on Spark (dbt-spark's session method). Two fixes to dbt-spark's own macros:
    - types: the seeds' column_types are written for DuckDB; `varchar` (no length) is not a
      Spark type and is read as `string` (spark_seed_type);
    - values: the session cursor substitutes bindings with Python's `%` (no quoting) and
      dbt-spark turns every number into a float, so a seed is loaded with literals rendered
      here instead: text quoted for Spark, numbers written out in full and cast to the
      column's type (exact decimals, never through a double). -#}
{% macro spark_seed_type(type_name) -%}
    {%- set normalised = (type_name | string | trim | lower) -%}
    {{- return('string' if normalised in ['varchar', 'text', 'char'] else type_name) -}}
{%- endmacro %}

{% macro spark_seed_literal(value) -%}
    {%- if value is none -%}
        {{- return('null') -}}
    {%- elif value is sameas true -%}
        {{- return('true') -}}
    {%- elif value is sameas false -%}
        {{- return('false') -}}
    {%- elif value is number -%}
        {{- return("'" ~ ('{:f}'.format(value)) ~ "'") -}}
    {%- else -%}
        {{- return("'" ~ (value | string).replace('\\', '\\\\').replace("'", "\\'") ~ "'") -}}
    {%- endif -%}
{%- endmacro %}

{% macro spark__create_csv_table(model, agate_table) %}
    {%- set column_override = model['config'].get('column_types', {}) -%}
    {%- set quote_seed_column = model['config'].get('quote_columns', None) -%}
    {% set sql %}
        create table {{ this.render() }} (
            {%- for col_name in agate_table.column_names -%}
                {%- set inferred_type = adapter.convert_type(agate_table, loop.index0) -%}
                {%- set type = spark_seed_type(column_override.get(col_name, inferred_type)) -%}
                {{ adapter.quote_seed_column(col_name | string, quote_seed_column) }} {{ type }}
                {%- if not loop.last -%}, {%- endif -%}
            {%- endfor -%}
        )
        {{ file_format_clause() }}
        {{ partition_cols(label="partitioned by") }}
        {{ clustered_cols(label="clustered by") }}
        {{ location_clause() }}
        {{ comment_clause() }}
    {% endset %}
    {% call statement('_') -%}
        {{ sql }}
    {%- endcall %}
    {{ return(sql) }}
{% endmacro %}

{% macro spark__load_csv_rows(model, agate_table) %}
    {%- set column_override = model['config'].get('column_types', {}) -%}
    {%- set types = [] -%}
    {%- for col_name in agate_table.column_names -%}
        {%- do types.append(spark_seed_type(column_override.get(col_name, adapter.convert_type(agate_table, loop.index0)))) -%}
    {%- endfor -%}
    {%- set statements = [] -%}
    {%- for chunk in agate_table.rows | batch(1000) -%}
        {%- set sql -%}
            insert into {{ this.render() }} values
            {% for row in chunk -%}
                ({%- for value in row -%}
                    cast({{ spark_seed_literal(value) }} as {{ types[loop.index0] }})
                    {%- if not loop.last -%}, {% endif -%}
                {%- endfor -%})
                {%- if not loop.last -%},{%- endif %}
            {% endfor %}
        {%- endset -%}
        {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
        {%- if loop.first -%}{%- do statements.append(sql) -%}{%- endif -%}
    {%- endfor -%}
    {{ return(statements[0] if statements else '') }}
{% endmacro %}
