-- One row per month x exporter x destination x control basis x end-use outcome: counts
-- and values (reporting currency) of lines, controlled lines, licence-missing lines,
-- China-origin Part 1 content, and the latent exposure: lines that would need a licence
-- if every suspension ended (licence_requirement_as_published = required).
with determinations as (
    select * from {{ ref('fct_shipment_determinations') }}
),

fx_days as (
    select * from {{ ref('int_fx_rates_daily') }}
),

lines as (
    select
        determinations.*,
        {{ fx_convert(
            'determinations.cn_part1_value', 'determinations.currency', "'" ~ var('reporting_currency') ~ "'",
            'line_fx.units_per_eur', 'reporting_fx.units_per_eur',
        ) }} as cn_part1_value_reporting
    from determinations
    left join fx_days as line_fx
        on
            determinations.currency = line_fx.currency
            and determinations.export_date = line_fx.calendar_date
    left join fx_days as reporting_fx
        on
            reporting_fx.currency = '{{ var("reporting_currency") }}'
            and determinations.export_date = reporting_fx.calendar_date
),

final as (
    select
        md5(
            strftime(date_trunc('month', export_date), '%Y-%m') || '|' || exporter_entity_id || '|'
            || destination_country || '|' || control_basis || '|' || end_use_outcome
        ) as exposure_id,
        strftime(date_trunc('month', export_date), '%Y-%m') as export_month,
        exporter_entity_id,
        destination_country,
        control_basis,
        end_use_outcome,
        '{{ var("reporting_currency") }}' as reporting_currency,
        count(*) as line_count,
        count(*) filter (where rules_triggered != '') as controlled_line_count,
        count(*) filter (where licence_requirement = 'required') as licence_required_line_count,
        count(*) filter (where compliance_status = 'licence_missing') as licence_missing_line_count,
        count(*) filter (where compliance_status = 'blocked') as blocked_line_count,
        count(*) filter (where compliance_status = 'review') as review_line_count,
        count(*) filter (where compliance_status = 'notify_due') as notify_due_line_count,
        count(*) filter (where licence_requirement_as_published = 'required') as latent_licence_line_count,
        coalesce(sum(line_value_reporting), 0) as line_value_reporting,
        coalesce(sum(line_value_reporting) filter (where rules_triggered != ''), 0) as controlled_value_reporting,
        coalesce(sum(line_value_reporting) filter (where compliance_status = 'licence_missing'), 0)
            as licence_missing_value_reporting,
        coalesce(sum(cn_part1_value_reporting), 0) as cn_part1_value_reporting,
        coalesce(sum(line_value_reporting) filter (where licence_requirement_as_published = 'required'), 0)
            as latent_licence_value_reporting,
        count(*) filter (where line_value_reporting is null) as lines_without_reporting_value
    from lines
    group by all
)

select * from final
