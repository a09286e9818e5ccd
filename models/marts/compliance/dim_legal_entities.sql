-- One row per legal entity of our own that exports or holds a licence, or that
-- erp/legal_entities lists: the names, address and signatory printed on Declarations of
-- Compliance and reports. An entity the extract does not hold is still here, printed by
-- its id, with a note that its legal name is missing.
with legal_entities as (
    select * from {{ ref('stg_erp__legal_entities') }}
),

declarations as (
    select * from {{ ref('stg_customs__export_declarations') }}
),

licences as (
    select * from {{ ref('stg_licences__licences') }}
),

used as (
    select
        exporter_entity_id as entity_id,
        count(*) as declaration_line_count
    from declarations
    group by exporter_entity_id
),

held as (
    select
        holder_entity_id as entity_id,
        count(*) as licence_count
    from licences
    group by holder_entity_id
),

entity_ids as (
    select entity_id from legal_entities
    union
    select entity_id from used
    union
    select entity_id from held
),

final as (
    select
        entity_ids.entity_id,
        legal_entities.legal_name,
        legal_entities.legal_name_local,
        legal_entities.entity_country,
        legal_entities.entity_address,
        legal_entities.signatory_name,
        legal_entities.entity_id is not null as is_in_extract,
        coalesce(legal_entities.legal_name, entity_ids.entity_id) as display_name,
        case
            when legal_entities.entity_id is null
                then entity_ids.entity_id || ': legal name missing (not in erp/legal_entities)'
        end as missing_name_note,
        coalesce(used.declaration_line_count, 0) as declaration_line_count,
        coalesce(held.licence_count, 0) as licence_count
    from entity_ids
    left join legal_entities
        on entity_ids.entity_id = legal_entities.entity_id
    left join used
        on entity_ids.entity_id = used.entity_id
    left join held
        on entity_ids.entity_id = held.entity_id
)

select * from final
