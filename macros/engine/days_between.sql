{#- Whole days from `earlier` to `later` (dates), as a bigint: DuckDB's date subtraction;
    Spark's datediff (a date minus a date is an interval there). -#}
{% macro days_between(later, earlier) -%}
    {{- return(adapter.dispatch('days_between')(later, earlier)) -}}
{%- endmacro %}

{% macro default__days_between(later, earlier) -%}{{ later }} - {{ earlier }}{%- endmacro %}

{% macro spark__days_between(later, earlier) -%}cast(datediff({{ later }}, {{ earlier }}) as bigint){%- endmacro %}
