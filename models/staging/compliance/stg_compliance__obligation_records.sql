-- Optional extract. A record is kept whatever it refers to: fct_obligation_records shows
-- the ones that match no obligation the warehouse raises (never silently dropped).
with obligation_records as (
    {% if raw_extract_loaded('compliance', 'obligation_records') -%}
    select * from {{ source('compliance', 'obligation_records') }}
    {{ keep_latest_version(['record_id']) }}
    {%- else -%}
    -- no batch holds the extract yet (a warehouse loaded before it joined the contract)
    select
        cast(null as varchar) as record_id,
        cast(null as varchar) as shipment_line_id,
        cast(null as varchar) as obligation_type,
        cast(null as date) as fulfilled_on,
        cast(null as varchar) as reference,
        cast(null as varchar) as recorded_by,
        cast(null as timestamp) as extracted_at,
        cast(null as varchar) as _batch_id
    where false
    {%- endif %}
),

final as (
    select
        record_id,
        shipment_line_id,
        obligation_type,
        fulfilled_on,
        reference as record_reference,
        recorded_by,
        extracted_at,
        _batch_id as batch_id
    from obligation_records
)

select * from final
