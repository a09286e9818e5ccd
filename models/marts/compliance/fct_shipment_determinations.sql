-- One row per export declaration line: what the 2025 rare-earth controls require of it on
-- its export date, and why. See the doc blocks in models/marts/_marts__docs.md for the vocabulary.
with ruled as (
    select * from {{ ref('int_declaration_lines_ruled') }}
),

valued as (
    select * from {{ ref('int_declaration_lines_valued') }}
),

licensed as (
    select * from {{ ref('int_declaration_lines_licensed') }}
),

fx_days as (
    select * from {{ ref('int_fx_rates_daily') }}
),

joined as (
    select
        ruled.*,
        valued.comparison_value,
        valued.is_free_of_charge,
        valued.cn_part1_value,
        valued.cn_part1_value_known,
        valued.cn_part1_value_share_pct,
        valued.threshold_content_value,
        valued.content_value_headroom,
        valued.has_unvalued_content,
        valued.has_missing_certificate,
        valued.has_missing_value,
        valued.has_origin_unverified,
        valued.has_fx_stale,
        valued.has_fx_missing,
        valued.is_within_fx_precision,
        valued.has_indicative_price,
        valued.value_bases,
        valued.value_problems,
        valued.main_contribution,
        valued.meets_value_threshold as valued_meets_value_threshold,
        valued.has_unknown_code,
        valued.unknown_code_reason,
        valued.has_missing_bom,
        valued.has_origin_conflict,
        valued.origin_conflict_evidence,
        valued.has_notice_share_repeated,
        valued.is_within_split_precision,
        valued.part2_undetermined_reason,
        licensed.licence_id as drawn_licence_id,
        licensed.is_covered,
        licensed.licence_explanation,
        -- the rule 1(a) figures describe a Part 2 item made outside China exported by a
        -- foreign operator (shown even to mainland China, where the rule does not reach);
        -- its data-quality findings matter only where the rule applies
        (ruled.part2_category is not null or ruled.is_part2_undetermined)
        and coalesce(ruled.country_of_manufacture, '') != 'CN'
        and ruled.is_foreign_operator as has_value_figures,
        {{ fx_convert(
            'ruled.line_value', 'ruled.currency', "'" ~ var('reporting_currency') ~ "'",
            'line_fx.units_per_eur', 'reporting_fx.units_per_eur',
        ) }} as line_value_reporting
    from ruled
    left join valued
        on ruled.shipment_line_id = valued.shipment_line_id
    left join licensed
        on ruled.shipment_line_id = licensed.shipment_line_id
    left join fx_days as line_fx
        on
            ruled.currency = line_fx.currency
            and ruled.export_date = line_fx.calendar_date
    left join fx_days as reporting_fx
        on
            reporting_fx.currency = '{{ var("reporting_currency") }}'
            and ruled.export_date = reporting_fx.calendar_date
),

scoped as (
    select
        *,
        has_value_figures and is_destination_outside_china as is_value_rule_item
    from joined
),

flagged as (
    select
        joined.*,
        -- a line whose controlled status hangs on data the warehouse lacks
        joined.is_61_1a_undetermined
        or joined.is_origin_rule_undetermined
        or joined.is_military_end_use_review
        or (
            joined.is_value_rule_item
            and (joined.has_fx_stale or joined.has_fx_missing or joined.is_within_fx_precision)
        )
        or (joined.is_value_rule_item and joined.comparison_value is null)
        or joined.has_bom_cycle
        or joined.has_bom_overlap
        or joined.has_bom_depth_limit
        or not joined.is_known_item
        -- a code the vocabulary does not know, no BOM valid on the date, origin evidence
        -- that disagrees, a mass split within its error bound of the threshold
        or coalesce(joined.has_unknown_code, false)
        or coalesce(joined.has_missing_bom, false)
        or coalesce(joined.has_origin_conflict, false)
        or (joined.is_value_rule_item and coalesce(joined.is_within_split_precision, false))
        or joined.screening_status = 'possible_match'
        or joined.has_uel_match
        or (
            joined.rules_triggered != ''
            and (joined.is_end_use_unclear or joined.is_statement_outcome_conflict or joined.is_party_missing)
        )
        or joined.is_outside_calendar as needs_review,
        -- list_distinct drops the nulls (flags that do not apply) and repeats
        list_sort(list_distinct([
            case when joined.is_value_rule_item and joined.has_origin_unverified then 'origin_unverified' end,
            case
                when
                    joined.is_value_rule_item
                    and (joined.has_missing_certificate or joined.part2_undetermined_reason = 'missing_certificate')
                    then 'missing_certificate'
            end,
            case
                when joined.has_unknown_code or joined.part2_undetermined_reason = 'unknown_code' then 'unknown_code'
            end,
            case when joined.has_missing_bom or joined.part2_undetermined_reason = 'missing_bom' then 'missing_bom' end,
            case when joined.has_origin_conflict then 'origin_conflict' end,
            case when joined.is_value_rule_item and joined.has_notice_share_repeated then 'notice_share_repeated' end,
            case
                when joined.is_value_rule_item and joined.is_within_split_precision
                    then 'mass_split_precision_at_threshold'
            end,
            case when joined.is_value_rule_item and joined.has_missing_value then 'missing_value' end,
            case
                when joined.is_value_rule_item and joined.is_free_of_charge and joined.comparison_value is not null
                    then 'free_of_charge_standard_cost'
            end,
            case
                when joined.is_value_rule_item and joined.is_free_of_charge and joined.comparison_value is null
                    then 'missing_value'
            end,
            case when joined.is_value_rule_item and joined.has_fx_stale then 'fx_stale' end,
            case when joined.is_value_rule_item and joined.has_fx_missing then 'fx_missing' end,
            case when joined.is_value_rule_item and joined.is_within_fx_precision then 'fx_precision_at_threshold' end,
            case when joined.has_bom_cycle then 'bom_cycle' end,
            case when joined.has_bom_overlap then 'bom_overlap' end,
            case when joined.has_bom_depth_limit then 'bom_depth_limit' end,
            case when joined.is_end_use_unclear then 'unclear_end_use' end,
            case when joined.is_statement_outcome_conflict then 'end_use_conflict' end,
            case when joined.is_military_end_use_review then 'military_end_use' end,
            case when joined.is_party_missing then 'missing_party' end,
            case when joined.has_ownership_cycle then 'ownership_cycle' end,
            case when not joined.is_known_item then 'missing_item' end,
            case when joined.is_value_rule_item and joined.value_problems like '%missing_item%' then 'missing_item' end,
            case when joined.is_value_rule_item and joined.has_indicative_price then 'indicative_price' end,
            case when joined.is_outside_calendar then 'outside_calendar' end,
            case when joined.is_origin_rule_undetermined then joined.part2_undetermined_reason end
        ])) as flag_list
    from scoped as joined
),

statused as (
    select
        flagged.*,
        case
            when flagged.licence_requirement = 'not_required' then 'not_required'
            when flagged.licence_requirement = 'exempt_notify' then 'not_required'
            when flagged.is_covered then 'covered'
            else 'not_covered'
        end as licence_status,
        case
            when
                flagged.licence_requirement = 'required' and flagged.end_use_outcome = 'deny_presumption'
                then 'blocked'
            -- missing data that could still make it blocked (or uncontrolled) comes first
            when flagged.needs_review then 'review'
            when flagged.licence_requirement = 'required' and not coalesce(flagged.is_covered, false)
                then 'licence_missing'
            when flagged.licence_requirement = 'exempt_notify' then 'notify_due'
            else 'clear'
        end as compliance_status
    from flagged
),

explained as (
    select
        statused.*,
        concat_ws(
            ' ',
            -- every sentence of a fired rule is null-safe: a missing figure is named, never
            -- allowed to turn the whole sentence (and its rule) into nothing
            case when statused.fires_61_1c then
                    '61-1c: ' || statused.item_id || ' is a No. 61 Appendix 1 item ('
                    || coalesce(statused.classification_reason, 'classification not recorded')
                    || ') produced in China, exported by a foreign operator from ' || statused.exporter_country
                    || ' to ' || statused.destination_country || '; its value share is reported as 100 %.'
            end,
            case when statused.fires_61_1a then
                    '61-1a: ' || statused.item_id || ' ('
                    || coalesce(statused.classification_reason, 'classification not recorded') || ', made in '
                    || coalesce(statused.country_of_manufacture, 'an unknown country')
                    || ') carries China-origin Part 1 content of '
                    || coalesce(
                        {{ format_decimal('statused.cn_part1_value_known') }} || ' ' || statused.currency,
                        'an undetermined amount'
                    )
                    || coalesce(
                        ' against a value of ' || {{ format_decimal('statused.comparison_value') }} || ' '
                        || statused.currency,
                        ''
                    )
                    || ' ('
                    || coalesce(cast(round(statused.cn_part1_value_share_pct, 6) as varchar) || ' %; ', '')
                    || coalesce(
                        'the 0.1 % threshold is ' || {{ format_decimal('statused.threshold_content_value') }} || ' '
                        || statused.currency,
                        'the value it is compared with is not determinable'
                    )
                    || '); largest contribution: '
                    || coalesce(statused.main_contribution, 'none')
                    || '.'
            end,
            case when statused.fires_61_1b then
                    '61-1b: ' || statused.item_id || ' is made outside China with China-origin rare-earth technology ('
                    || coalesce(statused.technology_evidence, 'flag set') || ').'
            end,
            case when statused.fires_18 then
                    '18: ' || statused.item_id || ' ('
                    || coalesce(statused.classification_reason, 'classification not recorded') || '; control codes '
                    || coalesce(nullif(statused.control_codes, ''), 'not recorded') || ') is exported from China by '
                    || statused.exporter_entity_id || ' to '
                    || statused.destination_country || '.'
            end,
            case when statused.fires_57 then
                    '57: ' || statused.item_id || ' (control codes ' || statused.control_codes
                    || ', No. 57 items by the control list seed) is exported from China by '
                    || statused.exporter_entity_id || ' to ' || statused.destination_country || '.'
            end,
            case when statused.rules_triggered = '' then
                    'No rule fires: '
                    || case
                        when not statused.is_destination_outside_china then 'the destination is mainland China.'
                        when statused.is_origin_rule_undetermined
                            then
                                'not determinable: '
                                || statused.item_id
                                || case statused.part2_undetermined_reason
                                    when 'unknown_code'
                                        then ' carries a code the control-list vocabulary does not know ('
                                            || coalesce(statused.unknown_code_reason, 'see its documents') || ')'
                                    when 'missing_bom'
                                        then ' (or an item in it) is made by us with no bill of materials valid on '
                                            || 'the date'
                                    else ' is an NdFeB magnet (or contains one) with no certificate stating its '
                                        || 'composition'
                                end
                                || '; if it is a Part 2 item '
                                || case when statused.is_foreign_operator then '61-1c' else 'No. 18' end
                                || ' applies.'
                        when statused.is_61_1a_undetermined
                            then
                                'not determinable: '
                                || statused.item_id
                                || ' may be a Part 2 item or may reach 0.1 %, but '
                                || case
                                    when
                                        statused.has_unknown_code
                                        or statused.part2_undetermined_reason = 'unknown_code'
                                        then 'a code in it is not in the control-list vocabulary'
                                    when statused.has_missing_bom or statused.part2_undetermined_reason = 'missing_bom'
                                        then 'no bill of materials valid on the date speaks for an item we make'
                                    when statused.has_missing_certificate or statused.is_part2_undetermined
                                        then 'a magnet or target in it has no valid certificate'
                                    when statused.has_fx_missing then 'an FX rate is missing'
                                    else 'a content value is missing'
                                end || '.'
                        when statused.is_value_rule_item and statused.meets_value_threshold = false
                            then
                                statused.item_id
                                || ' ('
                                || coalesce(statused.classification_reason, 'classification not recorded')
                                || ') carries China-origin Part 1 content of '
                                || coalesce({{ format_decimal('statused.cn_part1_value_known') }}, '0')
                                || ' ' || statused.currency || ', '
                                || coalesce(
                                    cast(round(statused.cn_part1_value_share_pct, 6) as varchar) || ' %', 'a share'
                                )
                                || ' of its value, under the 0.1 % threshold of '
                                || coalesce({{ format_decimal('statused.threshold_content_value') }}, '?')
                                || ' ' || statused.currency || '.'
                        when
                            not statused.is_foreign_operator
                            and not statused.is_no18_item
                            and not statused.is_no57_item
                            then
                                'exported from China, but ' || statused.item_id || ' is not a No. 18 or No. 57 item.'
                        else coalesce(statused.classification_reason, statused.item_id || ' is not in the item master')
                            || '.'
                    end
            end,
            case when statused.control_basis != 'none' then
                    'On ' || cast(statused.export_date as varchar) || ' ' || statused.control_basis || ' is '
                    || replace(statused.regime_status, '_', ' ')
                    || coalesce(' (' || statused.suspension_id || ')', '') || '; licence '
                    || replace(statused.licence_requirement, '_', ' ') || ' (as published: '
                    || replace(statused.licence_requirement_as_published, '_', ' ') || ').'
            end,
            case when statused.licence_requirement = 'required' then
                    coalesce(statused.licence_explanation, 'No licence drawing was recorded for this line') || '.'
            end,
            case
                when
                    statused.end_use_outcome != 'standard'
                    or statused.end_use_outcome_undated != 'standard'
                    or statused.screening_status != 'clear'
                    or statused.is_statement_outcome_conflict
                    or statused.is_military_end_use_review
                    then nullif(concat_ws(' ', statused.end_use_explanation, statused.screening_explanation), '')
            end,
            case
                when statused.end_use_outcome = 'standard' and statused.end_use_outcome_undated != 'standard'
                    then 'No. 61 Arts. 2-5 are not in force on ' || cast(statused.export_date as varchar)
                        || ' in this view: the end use would give ' || statused.end_use_outcome_undated
                        || ' (as published: ' || statused.end_use_outcome_as_published || ').'
            end,
            case when statused.is_control_list_party then
                    'A consignee or end user is on the MOFCOM export-control control list: deny_presumption '
                    || 'whatever No. 61''s state (Export Control Law Art. 18).'
            end,
            case when statused.is_military_end_use_review then
                    'A military end user (or end use) of a line controlled under No. ' || statused.basis_in_force
                    || ' that No. 61 does not deny on this date: review.'
            end,
            case when len(statused.flag_list) > 0
                    then 'Data quality: ' || array_to_string(statused.flag_list, ', ') || '.'
            end
        ) as explanation
    from statused
),

final as (
    select
        shipment_line_id,
        declaration_id,
        line_no,
        export_date,
        exporter_entity_id,
        exporter_country,
        destination_country,
        item_id,
        quantity,
        line_value,
        currency,
        line_value_reporting,
        is_part1_item,
        part2_category,
        coalesce(control_codes, '') as control_codes,
        -- share conventions (contracts/marts.md): 100 for 61-1c and for a Part 1 item under
        -- No. 18; otherwise the computed share, 0 where no China-origin Part 1 content is
        -- found, null only where it cannot be determined
        case
            when fires_61_1c or (is_part1_item and fires_18) then line_value
            else cn_part1_value
        end as cn_part1_value,
        case
            when fires_61_1c or (is_part1_item and fires_18) then cast(100 as decimal(38, 12))
            else cn_part1_value_share_pct
        end as cn_part1_value_share_pct,
        case
            when fires_61_1c or (is_part1_item and fires_18) then true
            else valued_meets_value_threshold
        end as meets_value_threshold,
        case when has_value_figures then threshold_content_value end as threshold_content_value,
        case when has_value_figures then content_value_headroom end as content_value_headroom,
        rules_triggered,
        control_basis,
        regime_status,
        licence_requirement,
        licence_requirement_as_published,
        end_use_outcome,
        screening_status,
        case when licence_status = 'covered' then drawn_licence_id end as licence_id,
        licence_status,
        compliance_status,
        array_to_string(flag_list, ';') as data_quality_flags,
        explanation,
        consignee_party_id,
        end_user_party_id,
        end_use_code_resolved,
        end_use_classification_basis,
        matched_entry_ids,
        value_bases,
        customs_remarks,
        suspension_id
    from explained
)

select * from final
