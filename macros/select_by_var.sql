{#- The one place a policy variable chooses between readings that a model computes side
    by side (issue 9): models compute every reading as its own column, unit tests assert
    those columns, and only this selection depends on the variable, so a unit test never
    depends on a variable that `dbt build --vars` can override.
    `expressions` maps each allowed value of the variable to a SQL expression. -#}
{% macro select_by_var(var_name, expressions) -%}
    {%- set value = var(var_name) -%}
    {%- if value not in expressions -%}
        {{ exceptions.raise_compiler_error("var " ~ var_name ~ " = " ~ value ~ " is not one of " ~ expressions.keys() | list | join(", ")) }}
    {%- endif -%}
    {{ expressions[value] }}
{%- endmacro %}
