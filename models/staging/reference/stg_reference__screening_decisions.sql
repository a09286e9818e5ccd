with decisions as (
    select * from {{ source('reference', 'screening_decisions') }}
    {{ keep_latest_version(['party_id', 'entry_id']) }}
),

final as (
    select
        party_id || '|' || entry_id as screening_decision_id,
        party_id,
        entry_id,
        decision,
        decided_on,
        decided_by,
        note as decision_note,
        extracted_at
    from decisions
)

select * from final
