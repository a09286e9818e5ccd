{#- The date obligation status is judged on: var as_of_date, else today. -#}
{% macro as_of_date() -%}
    {%- if var('as_of_date', none) -%}date '{{ var("as_of_date") }}'{%- else -%}current_date{%- endif -%}
{%- endmacro %}
