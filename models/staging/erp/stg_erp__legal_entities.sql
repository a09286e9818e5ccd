-- Optional extract: an entity that is not here is printed by its id, and the document
-- says its name is missing (dim_legal_entities).
with legal_entities as (
    {% if raw_extract_loaded('erp', 'legal_entities') -%}
    select * from {{ source('erp', 'legal_entities') }}
    {{ keep_latest_version(['entity_id']) }}
    {%- else -%}
    -- no batch holds the extract yet (a warehouse loaded before it joined the contract)
    select
        cast(null as varchar) as entity_id,
        cast(null as varchar) as legal_name,
        cast(null as varchar) as legal_name_local,
        cast(null as varchar) as country,
        cast(null as varchar) as address,
        cast(null as varchar) as signatory_name,
        cast(null as timestamp) as extracted_at,
        cast(null as varchar) as _batch_id
    where false
    {%- endif %}
),

final as (
    select
        entity_id,
        legal_name,
        legal_name_local,
        country as entity_country,
        address as entity_address,
        signatory_name,
        extracted_at,
        _batch_id as batch_id
    from legal_entities
)

select * from final
