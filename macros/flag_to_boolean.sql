{#- Contract flags are Y / N; empty means unknown and stays null. -#}
{% macro flag_to_boolean(column_name) -%}
    case {{ column_name }} when 'Y' then true when 'N' then false end
{%- endmacro %}
