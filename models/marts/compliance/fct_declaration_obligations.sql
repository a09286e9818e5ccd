-- One row per obligation a shipment line raises under the view apply_suspensions selects
-- (RULES.md §8). An obligation that arises only under a suspended clause is not raised;
-- No. 18 duties are never suspended. Status is judged on as_of_date.
with determinations as (
    select * from {{ ref('fct_shipment_determinations') }}
),

ruled as (
    select * from {{ ref('int_declaration_lines_ruled') }}
),

clause_days as (
    select * from {{ ref('int_clause_days_resolved') }}
),

working_days as (
    select * from {{ ref('int_prc_working_days_numbered') }}
),

lines as (
    select
        determinations.*,
        ruled.is_foreign_operator,
        ruled.is_destination_outside_china,
        ruled.is_appendix1_item,
        ruled.fires_18,
        ruled.fires_57,
        ruled.basis_in_force_legal,
        ruled.basis_in_force_as_published,
        {% if var('apply_suspensions') %}art7_day.is_in_force_legal{% else %}art7_day.is_in_force_as_published{% endif %}
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
    -- the licence, before export (No. 61 Art. 1; No. 18)
    select
        shipment_line_id,
        'mofcom_export_licence' as obligation_type,
        case
            when control_basis = '18' then 'MOFCOM/GAC 2025 No. 18'
            when control_basis = '57' then 'MOFCOM/GAC 2025 No. 57'
            else 'MOFCOM 2025 No. 61 Art. 1(' || right(
                    {% if var('apply_suspensions') %}
                    basis_in_force_legal{% else %}basis_in_force_as_published{% endif %}, 1
                ) || ')'
        end as legal_basis,
        'MOFCOM' as recipient,
        cast(null as decimal(38, 12)) as value_share_pct_to_declare,
        export_date as due_date,
        licence_id as fulfilled_by,
        case when licence_id is not null then 'licence ' || licence_id end as evidence
    from lines
    where licence_requirement = 'required'

    union all

    -- the Declaration of Compliance to the next recipient (Art. 7; Appendix 2): foreign
    -- operators exporting controlled items; Chinese domestic exporters of Part 1 items (100 %)
    select
        shipment_line_id,
        'compliance_notice' as obligation_type,
        'MOFCOM 2025 No. 61 Art. 7; Appendix 2' as legal_basis,
        -- the next recipient; null when the line names no party (the line is flagged missing_party)
        coalesce(consignee_party_id, end_user_party_id) as recipient,
        case
            when not is_foreign_operator then cast(100 as decimal(38, 12))
            else cn_part1_value_share_pct
        end as value_share_pct_to_declare,
        export_date as due_date,
        cast(null as varchar) as fulfilled_by,
        cast(null as varchar) as evidence
    from lines
    where
        is_art7_in_force
        and (
            (
                is_foreign_operator
                and {% if var('apply_suspensions') %}basis_in_force_legal{% else %}basis_in_force_as_published{% endif %}
                like '61-%'
            )
            or (not is_foreign_operator and is_part1_item and is_destination_outside_china)
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
        cast(null as varchar) as fulfilled_by,
        cast(null as varchar) as evidence
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
        destination_country as fulfilled_by,
        'destination_country ' || destination_country || ' declared' as evidence
    from lines
    where is_art7_in_force and not is_foreign_operator and is_appendix1_item and is_destination_outside_china

    union all

    -- customs: controlled or not and the control code in the remarks (No. 18, never suspended)
    select
        shipment_line_id,
        'customs_control_code_remark' as obligation_type,
        case when fires_18 then 'MOFCOM/GAC 2025 No. 18' else 'MOFCOM/GAC 2025 No. 57' end as legal_basis,
        'China Customs' as recipient,
        cast(null as decimal(38, 12)) as value_share_pct_to_declare,
        export_date as due_date,
        case when remark_names_code then customs_remarks end as fulfilled_by,
        case when remark_names_code then 'customs_remarks: ' || customs_remarks end as evidence
    from (
        select
            *,
            -- the remark names one of the item's control codes (or its heading, e.g. 1C905)
            coalesce(
                list_bool_or(
                    list_transform(
                        string_split(control_codes, ';'),
                        lambda code: contains(upper(coalesce(customs_remarks, '')), upper(split_part(code, '.', 1)))
                    )
                ),
                false
            ) as remark_names_code
        from lines
        -- No. 18 in force on the export date (from 2025-04-04; never suspended); No. 57 (the
        -- same customs duties) while in force in the view apply_suspensions selects
        where
            (fires_18 and coalesce(basis_in_force_as_published, '') = '18')
            or (
                fires_57
                and coalesce({{ selected_view('basis_in_force_legal', 'basis_in_force_as_published') }}, '') = '57'
            )
    ) as no18_lines
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
        case
            when fulfilled_by is not null then 'fulfilled'
            when due_date is null then 'open'
            when due_date < {{ as_of_date() }} then 'overdue'
            else 'open'
        end as status,
        evidence,
        due_date is null and obligation_type = 'humanitarian_export_report' as is_due_date_outside_calendar,
        {{ as_of_date() }} as status_as_of
    from raised
)

select * from final
