-- Which rules fire for each export declaration line, as published and on the export
-- date, and what that requires (RULES.md §1-§8). One row per shipment_line_id.
--   61-1c  an Appendix 1 item produced in China, exported by a foreign operator
--   61-1a  a Part 2 item made outside China with China-origin Part 1 content >= 0.1 %
--   61-1b  an Appendix 1 item made outside China with China-origin RE technology
--   18     a No. 18 item exported by a Chinese domestic operator
--   57     a No. 57 item exported by a Chinese domestic operator
-- Which control codes belong to No. 18 and No. 57 is read from the seed
-- dual_use_control_codes (its instrument, matched to the clause of regulatory_clauses).
-- Article 1 of No. 61 reaches exports by foreign operators to anywhere but mainland
-- China (Hong Kong, Macao and Taiwan are outside the border: translator's note on 境外).
-- Arts. 2-5 of No. 61 (end users and end uses) are dated clauses like Art. 1: each view
-- applies them only while they are in force in that view; a party on the MOFCOM control
-- list is deny_presumption whatever No. 61's state (Export Control Law Art. 18).
-- Both views are computed as columns; var apply_suspensions only selects (selected_view).
with declarations as (
    select * from {{ ref('stg_customs__export_declarations') }}
),

item_dates as (
    select * from {{ ref('int_item_dates_classified') }}
),

valued as (
    select * from {{ ref('int_declaration_lines_valued') }}
),

end_uses as (
    select * from {{ ref('int_declaration_lines_end_use_classified') }}
),

screened as (
    select * from {{ ref('int_declaration_lines_screened') }}
),

clause_days as (
    select * from {{ ref('int_clause_days_resolved') }}
),

control_codes as (
    select * from {{ ref('dual_use_control_codes') }}
),

regulatory_clauses as (
    select * from {{ ref('regulatory_clauses') }}
),

-- The rule (clause) each control code belongs to, by the code's instrument: only the
-- instruments that are rules of their own (No. 18, No. 57) are kept.
control_code_rules as (
    select
        upper(trim(control_codes.control_code)) as control_code,
        regulatory_clauses.clause_id
    from control_codes
    inner join regulatory_clauses
        on control_codes.instrument = regulatory_clauses.instrument
    where list_contains({{ rule_precedence() }}, regulatory_clauses.clause_id)
),

item_date_codes as (
    select distinct
        item_id,
        export_date,
        upper(trim(unnest(string_split(control_codes, ';')))) as control_code
    from item_dates
    where control_codes is not null
),

item_date_code_rules as (
    select
        item_date_codes.item_id,
        item_date_codes.export_date,
        bool_or(control_code_rules.clause_id = '18') as is_no18_item,
        bool_or(control_code_rules.clause_id = '57') as is_no57_item
    from item_date_codes
    inner join control_code_rules
        on item_date_codes.control_code = control_code_rules.control_code
    group by item_date_codes.item_id, item_date_codes.export_date
),

-- Arts. 2-5 of No. 61 on each export date, in both views.
article_days as (
    select
        {%- for view in ['legal', 'as_published'] %}
        {%- for article in ['2', '3', '4', '5'] %}
        coalesce(bool_or(clause_id = '61-{{ article }}' and is_in_force_{{ view }}), false)
            as is_art{{ article }}_in_force_{{ view }},
        {%- endfor %}
        {%- endfor %}
        calendar_date
    from clause_days
    where clause_id in ('61-2', '61-3', '61-4', '61-5')
    group by calendar_date
),

scoped as (
    select
        declarations.shipment_line_id,
        declarations.declaration_id,
        declarations.line_no,
        declarations.export_date,
        declarations.exporter_entity_id,
        declarations.exporter_country,
        declarations.destination_country,
        declarations.item_id,
        declarations.quantity,
        declarations.line_value,
        declarations.currency,
        declarations.consignee_party_id,
        declarations.end_user_party_id,
        declarations.customs_remarks,
        coalesce(item_dates.is_known_item, false) as is_known_item,
        coalesce(item_dates.is_part1_item, false) as is_part1_item,
        item_dates.part2_category,
        coalesce(item_dates.is_part2_undetermined, false) as is_part2_undetermined,
        item_dates.classification_reason,
        item_dates.control_codes,
        item_dates.country_of_manufacture,
        coalesce(item_dates.has_chinese_re_technology, false) as has_chinese_re_technology,
        item_dates.technology_evidence,
        coalesce(item_dates.has_bom_cycle, false) as has_bom_cycle,
        coalesce(item_dates.has_bom_overlap, false) as has_bom_overlap,
        coalesce(item_dates.has_bom_depth_limit, false) as has_bom_depth_limit,
        item_dates.bom_cycle_path,
        coalesce(item_dates.is_part1_item, false) or item_dates.part2_category is not null as is_appendix1_item,
        declarations.exporter_country != 'CN' as is_foreign_operator,
        -- "countries or regions outside of China": mainland China only is inside
        declarations.destination_country != 'CN' as is_destination_outside_china,
        coalesce(item_date_code_rules.is_no18_item, false) as is_no18_item,
        coalesce(item_date_code_rules.is_no57_item, false) as is_no57_item
    from declarations
    left join item_dates
        on
            declarations.item_id = item_dates.item_id
            and declarations.export_date = item_dates.export_date
    left join item_date_code_rules
        on
            declarations.item_id = item_date_code_rules.item_id
            and declarations.export_date = item_date_code_rules.export_date
),

fired as (
    select
        scoped.*,
        valued.meets_value_threshold,
        scoped.is_foreign_operator and scoped.is_destination_outside_china and scoped.is_appendix1_item
        and scoped.country_of_manufacture = 'CN' as fires_61_1c,
        scoped.is_foreign_operator and scoped.is_destination_outside_china and scoped.part2_category is not null
        and scoped.country_of_manufacture != 'CN' and coalesce(valued.meets_value_threshold, false) as fires_61_1a,
        scoped.is_foreign_operator and scoped.is_destination_outside_china and scoped.is_appendix1_item
        and scoped.country_of_manufacture != 'CN' and scoped.has_chinese_re_technology as fires_61_1b,
        not scoped.is_foreign_operator and scoped.is_destination_outside_china and scoped.is_no18_item as fires_18,
        not scoped.is_foreign_operator and scoped.is_destination_outside_china and scoped.is_no57_item as fires_57,
        -- could fire if the missing data were known (goes to review, never silently clear)
        scoped.is_foreign_operator and scoped.is_destination_outside_china
        and coalesce(scoped.country_of_manufacture, '') != 'CN'
        and (
            (scoped.part2_category is not null and valued.meets_value_threshold is null)
            or scoped.is_part2_undetermined
        ) as is_61_1a_undetermined,
        -- a China-made magnet of unknown composition may be a 61-1c item (foreign operator)
        -- or a No. 18 item (Chinese domestic operator): undetermined, never clear
        scoped.is_destination_outside_china and scoped.is_part2_undetermined
        and (not scoped.is_foreign_operator or scoped.country_of_manufacture = 'CN') as is_origin_rule_undetermined
    from scoped
    left join valued
        on scoped.shipment_line_id = valued.shipment_line_id
),

based as (
    select
        fired.*,
        concat_ws(
            ';',
            case when fired.fires_61_1c then '61-1c' end,
            case when fired.fires_61_1a then '61-1a' end,
            case when fired.fires_61_1b then '61-1b' end,
            case when fired.fires_18 then '18' end,
            case when fired.fires_57 then '57' end
        ) as rules_triggered,
        case
            when fired.fires_61_1c then '61-1c'
            when fired.fires_61_1a then '61-1a'
            when fired.fires_61_1b then '61-1b'
            when fired.fires_18 then '18'
            when fired.fires_57 then '57'
            else 'none'
        end as control_basis
    from fired
),

-- The first fired rule that is in force on the export date in each view: under the
-- legal view a suspended 61-1c does not hide a 61-1b that is in force.
regimes as (
    select
        based.shipment_line_id,
        min(
            case
                when clause_days.is_in_force_legal
                    then list_position({{ rule_precedence() }}, clause_days.clause_id)
            end
        ) as legal_rank,
        min(
            case
                when clause_days.is_in_force_as_published
                    then list_position({{ rule_precedence() }}, clause_days.clause_id)
            end
        ) as published_rank,
        count(clause_days.clause_id) as clause_days_found
    from based
    inner join clause_days
        on
            based.export_date = clause_days.calendar_date
            and list_contains(string_split(based.rules_triggered, ';'), clause_days.clause_id)
    group by based.shipment_line_id
),

outcomes as (
    select
        based.*,
        case
            when based.control_basis = 'none' then 'not_applicable'
            else coalesce(basis_day.status_legal, 'not_applicable')
        end as regime_status,
        basis_day.suspension_id,
        based.control_basis != 'none' and basis_day.clause_id is null as is_outside_calendar,
        {{ rule_precedence() }}[regimes.legal_rank] as basis_in_force_legal,
        {{ rule_precedence() }}[regimes.published_rank] as basis_in_force_as_published,
        end_uses.end_use_code_resolved,
        end_uses.end_use_classification_basis,
        coalesce(end_uses.is_end_use_unclear, false) as is_end_use_unclear,
        coalesce(end_uses.is_statement_outcome_conflict, false) as is_statement_outcome_conflict,
        end_uses.end_use_explanation,
        -- the outcome the end use reads as, before Arts. 3-5 are dated
        coalesce(end_uses.end_use_outcome, 'standard') as end_use_outcome_undated,
        screened.screening_status,
        coalesce(screened.is_military_end_user, false) as is_military_end_user,
        coalesce(screened.is_control_list_party, false) as is_control_list_party,
        coalesce(screened.has_uel_match, false) as has_uel_match,
        coalesce(screened.is_party_missing, false) as is_party_missing,
        coalesce(screened.has_ownership_cycle, false) as has_ownership_cycle,
        screened.screening_explanation,
        {%- for view in ['legal', 'as_published'] %}
        {%- for article in ['2', '3', '4', '5'] %}
        coalesce(article_days.is_art{{ article }}_in_force_{{ view }}, false)
            as is_art{{ article }}_in_force_{{ view }},
        {%- endfor %}
        {%- endfor %}
        screened.matched_entry_ids
    from based
    left join regimes
        on based.shipment_line_id = regimes.shipment_line_id
    left join clause_days as basis_day
        on
            based.export_date = basis_day.calendar_date
            and based.control_basis = basis_day.clause_id
    left join article_days
        on based.export_date = article_days.calendar_date
    left join end_uses
        on based.shipment_line_id = end_uses.shipment_line_id
    left join screened
        on based.shipment_line_id = screened.shipment_line_id
),

-- Arts. 2-5 and the party findings per view; the strictest wins (deny_presumption >
-- case_by_case > humanitarian_notify > standard), so a listed end user defeats the
-- humanitarian exemption. The MOFCOM control list denies whatever No. 61's state.
viewed as (
    select
        {%- for view in ['legal', 'as_published'] %}
        case
            when outcomes.is_control_list_party then 'deny_presumption'
            when
                outcomes.is_art2_in_force_{{ view }}
                and (outcomes.screening_status in ('listed', 'listed_affiliate') or outcomes.is_military_end_user)
                then 'deny_presumption'
            when outcomes.is_art3_in_force_{{ view }} and outcomes.end_use_outcome_undated = 'deny_presumption'
                then 'deny_presumption'
            when outcomes.is_art4_in_force_{{ view }} and outcomes.end_use_outcome_undated = 'case_by_case'
                then 'case_by_case'
            when outcomes.is_art5_in_force_{{ view }} and outcomes.end_use_outcome_undated = 'humanitarian_notify'
                then 'humanitarian_notify'
            else 'standard'
        end as end_use_outcome_{{ view }},
        -- a military end user (or an Art. 3 end use) of a line controlled under No. 18 or
        -- No. 57 that No. 61 does not deny in this view: review (RULES.md §7)
        coalesce(outcomes.basis_in_force_{{ view }} in ('18', '57'), false)
        and (outcomes.is_military_end_user or outcomes.end_use_outcome_undated = 'deny_presumption')
        and not (
            outcomes.is_control_list_party
            or (outcomes.is_art2_in_force_{{ view }} and outcomes.is_military_end_user)
            or (outcomes.is_art3_in_force_{{ view }} and outcomes.end_use_outcome_undated = 'deny_presumption')
        ) as is_military_end_use_review_{{ view }},
        {%- endfor %}
        outcomes.*
    from outcomes
),

requirements as (
    select
        viewed.*,
        {{ licence_requirement('viewed.basis_in_force_legal', 'viewed.end_use_outcome_legal') }}
            as licence_requirement_legal,
        {{ licence_requirement('viewed.basis_in_force_as_published', 'viewed.end_use_outcome_as_published') }}
            as licence_requirement_as_published
    from viewed
),

final as (
    select
        *,
        {{ selected_view('licence_requirement_legal', 'licence_requirement_as_published') }} as licence_requirement,
        {{ selected_view('end_use_outcome_legal', 'end_use_outcome_as_published') }} as end_use_outcome,
        {{ selected_view('basis_in_force_legal', 'basis_in_force_as_published') }} as basis_in_force,
        {{ selected_view('is_military_end_use_review_legal', 'is_military_end_use_review_as_published') }}
            as is_military_end_use_review
    from requirements
)

select * from final
