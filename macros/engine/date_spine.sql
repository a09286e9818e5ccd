{#- A query with one row per day from start_date to end_date inclusive (SQL date
    expressions), in a column calendar_date. DuckDB range(); Spark sequence() exploded. -#}
{% macro date_spine(start_date, end_date) -%}
    {{- return(adapter.dispatch('date_spine')(start_date, end_date)) -}}
{%- endmacro %}

{% macro default__date_spine(start_date, end_date) -%}
    select cast(spine.range as date) as calendar_date
    from range({{ start_date }}, {{ end_date }} + interval 1 day, interval 1 day) as spine
{%- endmacro %}

{% macro spark__date_spine(start_date, end_date) -%}
    select explode(sequence({{ start_date }}, {{ end_date }}, interval 1 day)) as calendar_date
{%- endmacro %}
