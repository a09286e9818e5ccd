-- Rule 1(a) arithmetic per export declaration line (RULES.md §3): China-origin Part 1
-- content value of the line, the value it is compared with, the share and whether it
-- meets the 0.1 % threshold. The threshold is compared exactly, by multiplication:
-- content >= value x 0.001 on decimals (never content / value >= 0.001, which DuckDB would do in
-- double: 1.13 / 1130.00 = 0.000999...).
with declarations as (
    select * from {{ ref('stg_customs__export_declarations') }}
),

item_dates as (
    select * from {{ ref('int_item_dates_classified') }}
),

converted as (
    select * from {{ ref('int_item_content_converted') }}
),

fx_days as (
    select * from {{ ref('int_fx_rates_daily') }}
),

content_per_unit as (
    select
        item_id,
        export_date,
        line_currency,
        count(*) as contribution_count,
        sum(cn_part1_value_per_unit_line_currency) as cn_part1_value_per_unit,
        sum(conversion_error_bound_per_unit) as conversion_error_bound_per_unit,
        sum(split_error_bound_per_unit) as split_error_bound_per_unit,
        bool_or(value_basis = 'missing_certificate') as has_missing_certificate,
        bool_or(value_basis = 'missing_bom') as has_missing_bom_content,
        bool_or(value_problem = 'unknown_code') as has_unknown_code_content,
        bool_or(is_notice_share_repeated) as has_notice_share_repeated,
        bool_or(value_problem in ('missing_value', 'missing_delivered_cost', 'missing_reference_price', 'missing_item'))
            as has_missing_value,
        string_agg(distinct value_problem, ';' order by value_problem) as value_problems,
        bool_or(is_origin_unverified) as has_origin_unverified,
        bool_or(is_fx_stale) as has_fx_stale,
        bool_or(is_fx_missing) as has_fx_missing,
        bool_or(is_indicative_price) as has_indicative_price,
        string_agg(distinct value_basis, ';' order by value_basis) as value_bases,
        -- the largest contribution, named in the explanation (ties: the first by text, so two
        -- builds name the same one)
        first(
            component_item_id || ' via ' || path_text || ', ' || value_basis
            || coalesce(', ' || document_ref, '') || coalesce(', ' || substance, '')
            order by
                coalesce(cn_part1_value_per_unit_line_currency, 0) desc,
                component_item_id || ' via ' || path_text || ', ' || value_basis
                || coalesce(', ' || document_ref, '') || coalesce(', ' || substance, '')
        ) filter (where component_item_id is not null and path_text is not null and value_basis is not null)
            as main_contribution
    from converted
    group by item_id, export_date, line_currency
),

lines as (
    select
        declarations.*,
        coalesce(item_dates.is_known_item, false) as is_known_item,
        coalesce(item_dates.is_part1_item, false) as is_part1_item,
        item_dates.part2_category,
        item_dates.is_part2_undetermined,
        item_dates.part2_undetermined_reason,
        item_dates.country_of_manufacture,
        coalesce(item_dates.has_unknown_code, false) as has_unknown_code_item,
        item_dates.unknown_code_reason,
        coalesce(item_dates.has_missing_bom, false) as has_missing_bom_item,
        coalesce(item_dates.has_origin_conflict, false) as has_origin_conflict,
        item_dates.origin_conflict_evidence,
        item_dates.standard_cost,
        item_dates.standard_cost_currency,
        content_per_unit.contribution_count,
        content_per_unit.cn_part1_value_per_unit,
        coalesce(content_per_unit.conversion_error_bound_per_unit, 0) as conversion_error_bound_per_unit,
        coalesce(content_per_unit.split_error_bound_per_unit, 0) as split_error_bound_per_unit,
        coalesce(content_per_unit.has_missing_certificate, false) as has_missing_certificate,
        coalesce(content_per_unit.has_missing_bom_content, false) as has_missing_bom_content,
        coalesce(content_per_unit.has_unknown_code_content, false) as has_unknown_code_content,
        coalesce(content_per_unit.has_notice_share_repeated, false) as has_notice_share_repeated,
        coalesce(content_per_unit.has_missing_value, false) as has_missing_value,
        content_per_unit.value_problems,
        coalesce(content_per_unit.has_origin_unverified, false) as has_origin_unverified,
        coalesce(content_per_unit.has_fx_stale, false) as has_fx_stale,
        coalesce(content_per_unit.has_fx_missing, false) as has_fx_missing,
        coalesce(content_per_unit.has_indicative_price, false) as has_indicative_price,
        content_per_unit.value_bases,
        content_per_unit.main_contribution
    from declarations
    left join item_dates
        on
            declarations.item_id = item_dates.item_id
            and declarations.export_date = item_dates.export_date
    left join content_per_unit
        on
            declarations.item_id = content_per_unit.item_id
            and declarations.export_date = content_per_unit.export_date
            and declarations.currency = content_per_unit.line_currency
),

-- The value compared with: the customs value; for a free-of-charge line the item's
-- standard cost x quantity, in the line currency.
denominators as (
    select
        lines.*,
        lines.line_value = 0 as is_free_of_charge,
        case
            when lines.line_value > 0 then lines.line_value
            when lines.standard_cost is null or lines.standard_cost = 0 then null
            else {{ fx_convert(
                decimal_multiply('lines.standard_cost', 'lines.quantity'),
                "coalesce(lines.standard_cost_currency, lines.currency)",
                'lines.currency',
                'from_fx.units_per_eur',
                'to_fx.units_per_eur',
            ) }}
        end as comparison_value,
        lines.line_value = 0
        and lines.standard_cost_currency != lines.currency
        and (coalesce(from_fx.is_stale, false) or coalesce(to_fx.is_stale, false)) as has_standard_cost_fx_stale
    from lines
    left join fx_days as from_fx
        on
            lines.standard_cost_currency = from_fx.currency
            and lines.export_date = from_fx.calendar_date
    left join fx_days as to_fx
        on
            lines.currency = to_fx.currency
            and lines.export_date = to_fx.calendar_date
),

valued as (
    select
        denominators.*,
        coalesce(
            {{ decimal_multiply('coalesce(denominators.cn_part1_value_per_unit, 0)', 'denominators.quantity') }},
            0
        ) as cn_part1_value_known,
        {{ decimal_multiply('denominators.conversion_error_bound_per_unit', 'denominators.quantity') }}
            as conversion_error_bound,
        {{ decimal_multiply('denominators.split_error_bound_per_unit', 'denominators.quantity') }}
            as split_error_bound,
        {{ decimal_multiply('denominators.comparison_value', var('part1_value_threshold_ratio')) }}
            as threshold_content_value,
        denominators.has_missing_certificate
        or denominators.has_missing_value
        or denominators.has_missing_bom_content
        or denominators.has_unknown_code_content
        or denominators.has_fx_missing
        or not denominators.is_known_item as has_unvalued_content
    from denominators
),

-- A Part 1 item is its own Part 1 content: 100 % when produced in China (as the rules
-- read its origin), else 0; undeterminable when its origin evidence disagrees.
bounded as (
    select
        valued.*,
        valued.conversion_error_bound + valued.split_error_bound as value_error_bound,
        valued.is_part1_item and valued.is_known_item as is_part1_share,
        case
            when valued.has_origin_conflict then null
            when valued.country_of_manufacture = 'CN' then true
            else false
        end as is_part1_china_made
    from valued
),

final as (
    select
        shipment_line_id,
        item_id,
        export_date,
        currency,
        quantity,
        line_value,
        is_free_of_charge,
        comparison_value,
        contribution_count,
        cn_part1_value_known,
        has_unvalued_content,
        -- What is known can already decide: known content at or over the threshold meets
        -- it whatever the unvalued parts hold; under it, the share cannot be determined.
        case
            when is_part1_share then is_part1_china_made
            when comparison_value is null then null
            when cn_part1_value_known - value_error_bound >= threshold_content_value then true
            when has_unvalued_content then null
            when cn_part1_value_known + value_error_bound < threshold_content_value then false
        end as meets_value_threshold,
        case
            when is_part1_share and is_part1_china_made then line_value
            when is_part1_share and not is_part1_china_made then cast(0 as decimal(38, 12))
            when is_part1_share then null
            when not has_unvalued_content then cn_part1_value_known
        end as cn_part1_value,
        -- an exact decimal (decimal_divide), 0 when no China-origin Part 1 content is found,
        -- null only when it cannot be determined (contracts/marts.md)
        case
            when is_part1_share and is_part1_china_made then cast(100 as decimal(38, 12))
            when is_part1_share and not is_part1_china_made then cast(0 as decimal(38, 12))
            when is_part1_share then null
            when comparison_value is not null and comparison_value > 0 and not has_unvalued_content
                then {{ decimal_divide(decimal_multiply('cn_part1_value_known', '100'), 'comparison_value') }}
        end as cn_part1_value_share_pct,
        threshold_content_value,
        -- how far the content may move before the determination flips: >= 0 it meets and
        -- may fall by more than this; < 0 it is short of the threshold by this much
        case when not has_unvalued_content then cn_part1_value_known - threshold_content_value end
            as content_value_headroom,
        conversion_error_bound,
        split_error_bound,
        comparison_value is not null
        and abs(cn_part1_value_known - threshold_content_value) <= value_error_bound
        and conversion_error_bound > 0 as is_within_fx_precision,
        comparison_value is not null
        and abs(cn_part1_value_known - threshold_content_value) <= value_error_bound
        and split_error_bound > 0 as is_within_split_precision,
        has_missing_certificate,
        has_missing_value,
        value_problems,
        has_origin_unverified,
        has_fx_stale or coalesce(has_standard_cost_fx_stale, false) as has_fx_stale,
        has_fx_missing,
        has_indicative_price,
        -- data the vocabulary, the BOM or the origin evidence cannot settle (review)
        has_unknown_code_item or has_unknown_code_content as has_unknown_code,
        unknown_code_reason,
        has_missing_bom_item or has_missing_bom_content as has_missing_bom,
        has_origin_conflict,
        origin_conflict_evidence,
        has_notice_share_repeated,
        part2_undetermined_reason,
        value_bases,
        main_contribution
    from bounded
)

select * from final
