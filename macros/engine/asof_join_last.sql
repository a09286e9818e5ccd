{#- The FROM clause of an as-of join: each row of `left` with the row of `right` that has
    the same `by` columns and the latest right_on <= left_on (none: the left row is
    dropped, an inner as-of join). Relations are CTE names; right_on must be unique per
    `by` key. DuckDB: ASOF INNER JOIN. Spark (no as-of join): each right row is valid until
    the next one of its key (lead), and the left row joins the one whose interval holds it,
    so the result is the same without a row_number over a range join. -#}
{% macro asof_join_last(left, right, by, left_on, right_on) -%}
    {{- return(adapter.dispatch('asof_join_last')(left, right, by, left_on, right_on)) -}}
{%- endmacro %}

{% macro default__asof_join_last(left, right, by, left_on, right_on) -%}
    {{ left }}
    asof inner join {{ right }}
        on
            {% for column in by -%}
            {{ left }}.{{ column }} = {{ right }}.{{ column }}
            and {% endfor -%}
            {{ left }}.{{ left_on }} >= {{ right }}.{{ right_on }}
{%- endmacro %}

{% macro spark__asof_join_last(left, right, by, left_on, right_on) -%}
    {{ left }}
    inner join (
        select
            *,
            lead({{ right_on }}) over (partition by {{ by | join(', ') }} order by {{ right_on }}) as _asof_valid_until
        from {{ right }}
    ) as {{ right }}
        on
            {% for column in by -%}
            {{ left }}.{{ column }} = {{ right }}.{{ column }}
            and {% endfor -%}
            {{ left }}.{{ left_on }} >= {{ right }}.{{ right_on }}
            and ({{ right }}._asof_valid_until is null or {{ left }}.{{ left_on }} < {{ right }}._asof_valid_until)
{%- endmacro %}
