{#- A date as ISO text (YYYY-MM-DD); null stays null. DuckDB strftime; Spark date_format. -#}
{% macro date_text(value) -%}
    {{- return(adapter.dispatch('date_text')(value)) -}}
{%- endmacro %}

{% macro default__date_text(value) -%}strftime({{ value }}, '%Y-%m-%d'){%- endmacro %}

{% macro spark__date_text(value) -%}date_format({{ value }}, 'yyyy-MM-dd'){%- endmacro %}
