{#- regexp_replace with the pattern and replacement written once, as regex text (not SQL
    literals; `\1` is group 1 in the replacement). all=true replaces every match (DuckDB
    'g'), all=false the first only, which Spark cannot do: there the pattern must be
    anchored (^ or $), where first and all are the same. Spark: string literals read
    backslash escapes, so backslashes are doubled, and groups are `$1`. Both engines use
    their own regex library (DuckDB RE2, Spark java.util.regex): the patterns of this
    project use only what the two read alike (classes, \s, \p{L}, anchors, groups). -#}
{% macro regex_replace(value, pattern, replacement, all=true) -%}
    {{- return(adapter.dispatch('regex_replace')(value, pattern, replacement, all)) -}}
{%- endmacro %}

{% macro default__regex_replace(value, pattern, replacement, all) -%}
    regexp_replace({{ value }}, '{{ pattern | replace("'", "''") }}', '{{ replacement | replace("'", "''") }}'{% if all %}, 'g'{% endif %})
{%- endmacro %}

{% macro spark__regex_replace(value, pattern, replacement, all) -%}
    {%- if not all and not (pattern.startswith('^') or pattern.endswith('$')) -%}
        {{ exceptions.raise_compiler_error("regex_replace(all=false) needs an anchored pattern on Spark: " ~ pattern) }}
    {%- endif -%}
    {%- set java_replacement = modules.re.sub('\\\\([0-9])', '$\\1', replacement) -%}
    regexp_replace({{ value }}, {{ spark_string_literal(pattern) }}, {{ spark_string_literal(java_replacement) }})
{%- endmacro %}

{#- A Spark SQL string literal for any text: backslashes and quotes escaped. -#}
{% macro spark_string_literal(text) -%}
    '{{ text | replace("\\", "\\\\") | replace("'", "\\'") }}'
{%- endmacro %}
