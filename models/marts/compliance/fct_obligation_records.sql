-- One row per record in compliance/obligation_records, with the obligation it fulfils. A
-- record that matches no obligation the warehouse raises (in the view apply_suspensions
-- selects) is kept and says why: the rules or the data may have changed, or the record
-- names the wrong line. Never dropped.
with records as (
    select * from {{ ref('stg_compliance__obligation_records') }}
),

obligations as (
    select * from {{ ref('fct_declaration_obligations') }}
),

declarations as (
    select * from {{ ref('stg_customs__export_declarations') }}
),

matched as (
    select
        records.record_id,
        records.shipment_line_id,
        records.obligation_type,
        records.fulfilled_on,
        records.record_reference,
        records.recorded_by,
        obligations.obligation_id,
        obligations.status as obligation_status,
        obligations.due_date,
        declarations.shipment_line_id is not null as is_known_line,
        records.batch_id,
        records.extracted_at
    from records
    left join obligations
        on
            records.shipment_line_id = obligations.shipment_line_id
            and records.obligation_type = obligations.obligation_type
    left join declarations
        on records.shipment_line_id = declarations.shipment_line_id
),

final as (
    select
        record_id,
        shipment_line_id,
        obligation_type,
        fulfilled_on,
        record_reference,
        recorded_by,
        obligation_id,
        obligation_status,
        case
            when not is_known_line then 'no_such_shipment_line'
            when obligation_id is null then 'obligation_not_raised'
            when fulfilled_on > {{ as_of_date() }} then 'recorded_after_as_of_date'
            else 'matched'
        end as match_status,
        case
            when not is_known_line
                then 'no export declaration line ' || shipment_line_id || ' is loaded'
            when obligation_id is null
                then 'the warehouse raises no ' || obligation_type || ' obligation for ' || shipment_line_id
                    || ' (apply_suspensions = {{ var("apply_suspensions") | lower }}): the rules or the data may have '
                    || 'changed since it was recorded'
            when fulfilled_on > {{ as_of_date() }}
                then 'dated ' || cast(fulfilled_on as varchar) || ', after the status date '
                    || cast({{ as_of_date() }} as varchar) || ': not yet evidence'
            else 'fulfils obligation ' || obligation_id
                || case
                    when fulfilled_on > due_date then ' (late: due ' || cast(due_date as varchar) || ')'
                    else ''
                end
        end as match_reason,
        {{ as_of_date() }} as status_as_of,
        batch_id,
        extracted_at
    from matched
)

select * from final
