{#- A query: one row per part of `column` split on a literal delimiter, with the columns in
    `keep`, the part as `value_name` and its 1-based position as `position_name`; rows
    where `column` is null give none. DuckDB unnest(string_split()) with
    generate_subscripts(); Spark posexplode(split()) (0-based, so + 1; split takes a regex,
    so the delimiter is quoted). Empty parts are kept on both ('a||b' has three). -#}
{% macro split_to_rows(relation, keep, column, delimiter, value_name, position_name) -%}
    {{- return(adapter.dispatch('split_to_rows')(relation, keep, column, delimiter, value_name, position_name)) -}}
{%- endmacro %}

{% macro default__split_to_rows(relation, keep, column, delimiter, value_name, position_name) -%}
    select
        {% for k in keep %}{{ k }},
        {% endfor -%}
        unnest(string_split({{ column }}, '{{ delimiter }}')) as {{ value_name }},
        generate_subscripts(string_split({{ column }}, '{{ delimiter }}'), 1) as {{ position_name }}
    from {{ relation }}
    where {{ column }} is not null
{%- endmacro %}

{% macro spark__split_to_rows(relation, keep, column, delimiter, value_name, position_name) -%}
    select
        {% for k in keep %}{{ relation }}.{{ k }},
        {% endfor -%}
        split_parts.{{ value_name }},
        split_parts.part_index + 1 as {{ position_name }}
    from {{ relation }}
    lateral view posexplode(split({{ column }}, {{ spark_string_literal('\\Q' ~ delimiter ~ '\\E') }}, -1)) split_parts
        as part_index, {{ value_name }}
    where {{ relation }}.{{ column }} is not null
{%- endmacro %}
