{#- A decimal as text for explanations: no trailing zeros after the point (2.500000 -> 2.5). -#}
{% macro format_decimal(value) -%}
    regexp_replace(regexp_replace(cast({{ value }} as varchar), '(\.[0-9]*[1-9])0+$', '\1'), '\.0+$', '')
{%- endmacro %}
