{#- The order in which fired rules name the single control basis (RULES.md §6):
    61-1c > 61-1a > 61-1b > 18 > 57, as a DuckDB list literal. -#}
{% macro rule_precedence() -%}
    ['61-1c', '61-1a', '61-1b', '18', '57']
{%- endmacro %}
