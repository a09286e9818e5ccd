{#- One schema per layer (staging, intermediate, marts, reference), not <target>_<layer>:
    the warehouse file is already per environment, so a prefix would only add noise. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}{{ target.schema }}{%- else -%}{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}
