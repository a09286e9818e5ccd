with licences as (
    select * from {{ source('licences', 'licences') }}
    {{ keep_latest_version(['licence_id']) }}
),

final as (
    select
        licence_id,
        licence_number,
        licence_type,
        holder_entity_id,
        item_id,
        destination_country,
        end_user_party_id,
        quantity_authorised,
        value_authorised,
        currency as value_authorised_currency,
        valid_from,
        valid_to,
        extracted_at,
        _batch_id as batch_id
    from licences
)

select * from final
