-- Which rules fire for each export declaration line, as published and on the export
-- date, and what that requires (RULES.md §1-§7). One row per shipment_line_id.
--   61-1c  an Appendix 1 item produced in China, exported by a foreign operator
--   61-1a  a Part 2 item made outside China with China-origin Part 1 content >= 0.1 %
--   61-1b  an Appendix 1 item made outside China with China-origin RE technology
--   18     a No. 18 item (codes 1C902-1C908) exported by a Chinese domestic operator
-- Article 1 of No. 61 reaches exports by foreign operators to anywhere but mainland
-- China (Hong Kong, Macao and Taiwan are outside the border: translator's note on 境外).
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
        coalesce(regexp_matches(item_dates.control_codes, '1C90[2-8]'), false) as is_no18_item,
        -- No. 57 (Ho, Er, Tm, Eu, Yb: 1C909-1C913) has no rule in the marts' vocabulary
        coalesce(regexp_matches(item_dates.control_codes, '1C9(09|1[0-3])'), false) as is_no57_item
    from declarations
    left join item_dates
        on
            declarations.item_id = item_dates.item_id
            and declarations.export_date = item_dates.export_date
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
            case when fired.fires_18 then '18' end
        ) as rules_triggered,
        case
            when fired.fires_61_1c then '61-1c'
            when fired.fires_61_1a then '61-1a'
            when fired.fires_61_1b then '61-1b'
            when fired.fires_18 then '18'
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
        -- a No. 57 item exported from China while clause 57 is in force (from 2026-11-11 by
        -- default): a licence is likely required, but the marts have no rule for it -> review
        not based.is_foreign_operator and based.is_destination_outside_china and based.is_no57_item
        and not based.fires_18
        and coalesce(
            {% if var('apply_suspensions') %}no57_day.is_in_force_legal{% else %}no57_day.is_in_force_as_published{% endif %},
            false
        ) as is_no57_export_in_force,
        {{ rule_precedence() }}[regimes.legal_rank] as basis_in_force_legal,
        {{ rule_precedence() }}[regimes.published_rank] as basis_in_force_as_published,
        end_uses.end_use_code_resolved,
        end_uses.end_use_classification_basis,
        end_uses.is_end_use_unclear,
        end_uses.end_use_explanation,
        screened.screening_status,
        screened.is_military_end_user,
        screened.has_uel_match,
        screened.is_party_missing,
        screened.has_ownership_cycle,
        screened.screening_explanation,
        screened.matched_entry_ids,
        -- Arts. 2-5: party findings and the end use combine; the strictest wins
        -- (deny_presumption > case_by_case > humanitarian_notify > standard).
        case
            when
                screened.screening_status in ('listed', 'listed_affiliate')
                or screened.is_military_end_user
                or end_uses.end_use_outcome = 'deny_presumption'
                then 'deny_presumption'
            else coalesce(end_uses.end_use_outcome, 'standard')
        end as end_use_outcome
    from based
    left join regimes
        on based.shipment_line_id = regimes.shipment_line_id
    left join clause_days as basis_day
        on
            based.export_date = basis_day.calendar_date
            and based.control_basis = basis_day.clause_id
    left join clause_days as no57_day
        on
            based.export_date = no57_day.calendar_date
            and no57_day.clause_id = '57'
    left join end_uses
        on based.shipment_line_id = end_uses.shipment_line_id
    left join screened
        on based.shipment_line_id = screened.shipment_line_id
),

requirements as (
    select
        outcomes.*,
        {{ licence_requirement('outcomes.basis_in_force_legal', 'outcomes.end_use_outcome') }}
            as licence_requirement_legal,
        {{ licence_requirement('outcomes.basis_in_force_as_published', 'outcomes.end_use_outcome') }}
            as licence_requirement_as_published
    from outcomes
),

final as (
    select
        *,
        case
            when {{ 'true' if var('apply_suspensions') else 'false' }} then licence_requirement_legal
            else licence_requirement_as_published
        end as licence_requirement
    from requirements
)

select * from final
