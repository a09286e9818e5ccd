-- One row per obligation a shipment line raises under the view apply_suspensions selects
-- (RULES.md §8), with its status as of as_of_date and the evidence behind it. Long because
-- the five obligation types are raised side by side so their conditions can be compared.
-- An obligation that arises only under a suspended clause is not raised; No. 18 duties
-- are never suspended. Evidence: a licence that covers the line, the destination or the
-- remark found on the declaration (int_declaration_lines_remark_checked), or a record in
-- compliance/obligation_records dated on or before as_of_date. Without evidence an
-- obligation is open until its due date and overdue after it.
with determinations as (
    select * from {{ ref('fct_shipment_determinations') }}
),

ruled as (
    select * from {{ ref('int_declaration_lines_ruled') }}
),

clause_days as (
    select * from {{ ref('int_clause_days_resolved') }}
),

clauses as (
    select * from {{ ref('regulatory_clauses') }}
),

working_days as (
    select * from {{ ref('int_prc_working_days_numbered') }}
),

remarks as (
    select * from {{ ref('int_declaration_lines_remark_checked') }}
),

records as (
    select * from {{ ref('stg_compliance__obligation_records') }}
    where fulfilled_on <= {{ as_of_date() }}
),

lines as (
    select
        determinations.*,
        ruled.is_foreign_operator,
        ruled.is_destination_outside_china,
        ruled.is_appendix1_item,
        {{ selected_view('ruled.basis_in_force_legal', 'ruled.basis_in_force_as_published') }}
            as basis_in_force,
        {{ selected_view('art7_day.is_in_force_legal', 'art7_day.is_in_force_as_published') }}
            as is_art7_in_force
    from determinations
    inner join ruled
        on determinations.shipment_line_id = ruled.shipment_line_id
    left join clause_days as art7_day
        on
            determinations.export_date = art7_day.calendar_date
            and art7_day.clause_id = '61-7'
),

raised as (
    -- the licence, before export (No. 61 Art. 1; No. 18; No. 57)
    select
        lines.shipment_line_id,
        'mofcom_export_licence' as obligation_type,
        basis_clause.instrument || coalesce(' ' || basis_clause.article, '') as legal_basis,
        'MOFCOM' as recipient,
        cast(null as decimal(38, 12)) as value_share_pct_to_declare,
        lines.export_date as due_date,
        'licence ' || lines.licence_id as data_evidence,
        cast(null as varchar) as expected_remark,
        cast(null as varchar) as finding
    from lines
    left join clauses as basis_clause
        on coalesce(lines.basis_in_force, lines.control_basis) = basis_clause.clause_id
    where lines.licence_requirement = 'required'

    union all

    -- the Declaration of Compliance to the next recipient (Art. 7; Appendix 2): foreign
    -- operators exporting controlled items; Chinese domestic exporters of Appendix 1 items,
    -- Part 1 at 100 %, Part 2 at the share computed from the BOM and documents
    select
        shipment_line_id,
        'compliance_notice' as obligation_type,
        'MOFCOM 2025 No. 61 Art. 7; Appendix 2' as legal_basis,
        -- the next recipient; null when the line names no party (the line is flagged missing_party)
        coalesce(consignee_party_id, end_user_party_id) as recipient,
        case
            when not is_foreign_operator and is_part1_item then cast(100 as decimal(38, 12))
            else cn_part1_value_share_pct
        end as value_share_pct_to_declare,
        export_date as due_date,
        cast(null as varchar) as data_evidence,
        cast(null as varchar) as expected_remark,
        case
            when not (not is_foreign_operator and is_part1_item) and cn_part1_value_share_pct is null
                then 'the share to declare cannot be determined: complete it before sending'
        end as finding
    from lines
    where
        is_art7_in_force
        and is_destination_outside_china
        and (
            (is_foreign_operator and basis_in_force like '61-%')
            or (not is_foreign_operator and is_appendix1_item)
        )

    union all

    -- the humanitarian export report: by email to MOFCOM within 10 working days (Art. 5)
    select
        lines.shipment_line_id,
        'humanitarian_export_report' as obligation_type,
        'MOFCOM 2025 No. 61 Art. 5' as legal_basis,
        'MOFCOM' as recipient,
        cast(null as decimal(38, 12)) as value_share_pct_to_declare,
        due_day.calendar_date as due_date,
        cast(null as varchar) as data_evidence,
        cast(null as varchar) as expected_remark,
        case
            when due_day.calendar_date is null
                then 'the due date falls beyond the PRC working-day calendar: not guessed'
        end as finding
    from lines
    left join working_days as export_day
        on lines.export_date = export_day.calendar_date
    left join working_days as due_day
        on
            due_day.working_day_number = export_day.working_day_number + {{ var('humanitarian_report_working_days') }}
            and due_day.is_working_day
    where lines.licence_requirement = 'exempt_notify'

    union all

    -- customs: the ultimate destination on the declaration (Art. 7; Chinese domestic exporters)
    select
        shipment_line_id,
        'customs_final_destination' as obligation_type,
        'MOFCOM 2025 No. 61 Art. 7' as legal_basis,
        'China Customs' as recipient,
        cast(null as decimal(38, 12)) as value_share_pct_to_declare,
        export_date as due_date,
        'destination_country ' || destination_country || ' declared' as data_evidence,
        cast(null as varchar) as expected_remark,
        cast(null as varchar) as finding
    from lines
    where is_art7_in_force and not is_foreign_operator and is_appendix1_item and is_destination_outside_china

    union all

    -- customs: controlled or not, and the exact control code, in the remarks (No. 18; No. 57
    -- while in force): every Chinese domestic rare-earth line
    select
        lines.shipment_line_id,
        'customs_control_code_remark' as obligation_type,
        remarks.legal_basis,
        'China Customs' as recipient,
        cast(null as decimal(38, 12)) as value_share_pct_to_declare,
        lines.export_date as due_date,
        case when remarks.is_remark_met then 'customs_remarks: ' || remarks.customs_remarks end as data_evidence,
        remarks.expected_remark,
        remarks.remark_finding as finding
    from lines
    inner join remarks
        on lines.shipment_line_id = remarks.shipment_line_id
),

record_evidence as (
    select
        shipment_line_id,
        obligation_type,
        min(fulfilled_on) as fulfilled_on,
        string_agg(
            'obligation record ' || record_id || coalesce(' (reference ' || record_reference || ')', ''),
            '; ' order by fulfilled_on, record_id
        ) as evidence
    from records
    group by shipment_line_id, obligation_type
),

evidenced as (
    select
        raised.*,
        nullif(concat_ws('; ', raised.data_evidence, record_evidence.evidence), '') as evidence,
        case
            when raised.data_evidence is not null and raised.obligation_type = 'mofcom_export_licence' then 'licence'
            when raised.data_evidence is not null then 'declaration'
            when record_evidence.evidence is not null then 'obligation_record'
        end as fulfilment_source,
        case
            when raised.data_evidence is not null then lines.export_date
            else record_evidence.fulfilled_on
        end as fulfilled_on
    from raised
    inner join lines
        on raised.shipment_line_id = lines.shipment_line_id
    left join record_evidence
        on
            raised.shipment_line_id = record_evidence.shipment_line_id
            and raised.obligation_type = record_evidence.obligation_type
),

statused as (
    select
        *,
        case
            when evidence is not null then 'fulfilled'
            when due_date is null then 'open'
            when due_date < {{ as_of_date() }} then 'overdue'
            else 'open'
        end as status
    from evidenced
),

final as (
    select
        md5(shipment_line_id || '|' || obligation_type) as obligation_id,
        shipment_line_id,
        obligation_type,
        legal_basis,
        recipient,
        value_share_pct_to_declare,
        due_date,
        status,
        evidence,
        fulfilment_source,
        fulfilled_on,
        coalesce(fulfilled_on > due_date, false) as is_fulfilled_late,
        case status
            when 'fulfilled'
                then 'fulfilled by ' || evidence
                    || case
                        when fulfilled_on > due_date
                            then ' on '
                                || cast(fulfilled_on as varchar)
                                || ', after the due date '
                                || cast(due_date as varchar)
                        else ''
                    end
            when 'overdue'
                then 'no evidence; due ' || cast(due_date as varchar)
                    || ', overdue on ' || cast({{ as_of_date() }} as varchar)
            else 'no evidence yet; ' || coalesce('due ' || cast(due_date as varchar), 'no due date')
        end || coalesce('; ' || finding, '') as status_reason,
        expected_remark,
        due_date is null and obligation_type = 'humanitarian_export_report' as is_due_date_outside_calendar,
        {{ as_of_date() }} as status_as_of
    from statused
)

select * from final
