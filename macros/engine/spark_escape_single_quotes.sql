{#- A text as the inside of a Spark SQL string literal. dbt-spark escapes only the quote, so
    a backslash in a unit-test fixture (a regex such as `\s`, `\b`) reached Spark as an
    escape sequence and the fixture's pattern changed. Backslashes are escaped first. -#}
{% macro spark__escape_single_quotes(expression) -%}
{{ expression | replace("\\", "\\\\") | replace("'", "\\'") }}
{%- endmacro %}
