{#- The one place var apply_suspensions chooses between the two readings of the calendar
    (RULES.md §1): the legal view (suspensions applied, default) or the view as published.
    Models compute both readings as columns and call this only to pick one. -#}
{% macro selected_view(legal_expression, as_published_expression) -%}
    {%- if var('apply_suspensions') -%}{{ legal_expression }}{%- else -%}{{ as_published_expression }}{%- endif -%}
{%- endmacro %}
