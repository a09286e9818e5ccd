{#- Fail the run at once on a policy variable outside its vocabulary: a typo must never
    fall through to a non-conservative branch (e.g. 'assume-china' read as not China). -#}
{% macro validate_policy_vars() %}
    {%- set allowed = {
        'part2_scope': ['broad', 'strict'],
        'unknown_origin_policy': ['assume_china', 'assume_not_china'],
        'ownership_mode': ['chain', 'aggregate'],
    } -%}
    {%- for name, values in allowed.items() -%}
        {%- if var(name) not in values -%}
            {{ exceptions.raise_compiler_error(
                "var " ~ name ~ " = " ~ var(name) ~ " is not one of " ~ values | join(", ")
            ) }}
        {%- endif -%}
    {%- endfor -%}
    {%- if var('apply_suspensions') not in [true, false] -%}
        {{ exceptions.raise_compiler_error("var apply_suspensions must be true or false, got " ~ var('apply_suspensions')) }}
    {%- endif -%}
    {%- if var('reporting_currency') | length != 3 -%}
        {{ exceptions.raise_compiler_error("var reporting_currency must be an ISO 4217 code, got " ~ var('reporting_currency')) }}
    {%- endif -%}
    select 1
{% endmacro %}
