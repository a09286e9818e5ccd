{#- A replay (var as_known_at) never writes over the live marts: it must run on the profile
    target `as_known_at` (a database of its own under REE_WAREHOUSE_DIR/as_known_at/). -#}
{% macro guard_as_known_at_target() %}
    {%- if var('as_known_at', none) and target.name != 'as_known_at' -%}
        {{ exceptions.raise_compiler_error(
            "var as_known_at is set but the target is '" ~ target.name ~ "' (" ~ target.path
            ~ "): a replay must not write over the live marts; run `ree build --as-known-at "
            ~ var('as_known_at') ~ "` or add `--target as_known_at`"
        ) }}
    {%- endif -%}
    select 1
{% endmacro %}
