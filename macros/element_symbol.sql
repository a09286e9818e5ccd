{#- A chemical symbol as the control-list vocabulary spells it ('dy', ' DY ' -> 'Dy'). -#}
{% macro element_symbol(column_name) -%}
    upper(left(trim({{ column_name }}), 1)) || lower(substr(trim({{ column_name }}), 2))
{%- endmacro %}
