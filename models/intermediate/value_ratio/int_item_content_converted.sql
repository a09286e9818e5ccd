-- Each contribution of int_item_content_valued converted to every currency in which the
-- item is declared on that date: one row per (item, export date, line currency,
-- contribution), per unit of the item. Lines pick theirs up by (item, date, currency),
-- so 10 M declaration lines convert only the distinct combinations.
--
-- FX (RULES.md §3): both sides at the ECB rate of the export date (last published on or
-- before it), crossing via EUR. Same currency: no conversion, exact. EUR to X: a
-- multiplication, exact. X to Y: the division by X's rate has no finite decimal result in
-- general; it is carried at 12 decimal places and the line records an error bound so
-- that a determination within that bound of the threshold goes to review.
with declarations as (
    select * from {{ ref('stg_customs__export_declarations') }}
),

contributions as (
    select * from {{ ref('int_item_content_valued') }}
),

fx_days as (
    select * from {{ ref('int_fx_rates_daily') }}
),

line_currencies as (
    select distinct
        item_id,
        export_date,
        currency as line_currency
    from declarations
),

joined as (
    select
        line_currencies.line_currency,
        contributions.*
    from line_currencies
    inner join contributions
        on
            line_currencies.item_id = contributions.item_id
            and line_currencies.export_date = contributions.export_date
),

converted as (
    select
        joined.*,
        from_fx.units_per_eur as from_units_per_eur,
        from_fx.rate_date as from_rate_date,
        to_fx.units_per_eur as to_units_per_eur,
        to_fx.rate_date as to_rate_date,
        joined.currency is not null and joined.currency != joined.line_currency as needs_conversion,
        coalesce(from_fx.is_stale, false) or coalesce(to_fx.is_stale, false) as is_fx_stale,
        joined.currency is not null
        and joined.currency != joined.line_currency
        and (from_fx.units_per_eur is null or to_fx.units_per_eur is null) as is_fx_missing
    from joined
    left join fx_days as from_fx
        on
            joined.currency = from_fx.currency
            and joined.export_date = from_fx.calendar_date
            and joined.currency != joined.line_currency
    left join fx_days as to_fx
        on
            joined.line_currency = to_fx.currency
            and joined.export_date = to_fx.calendar_date
            and joined.currency != joined.line_currency
),

final as (
    select
        contribution_id || '|' || line_currency as converted_contribution_id,
        contribution_id,
        item_id,
        export_date,
        component_item_id,
        path_text,
        quantity_per_root,
        value_basis,
        document_ref,
        substance,
        is_part1_content,
        origin_country,
        is_origin_unverified,
        china_fraction_applied,
        value_per_component_unit,
        currency as content_currency,
        value_problem,
        is_indicative_price,
        is_notice_share_repeated,
        is_mass_split,
        cn_part1_value_per_unit,
        line_currency,
        from_rate_date,
        from_units_per_eur,
        to_rate_date,
        to_units_per_eur,
        is_fx_stale and needs_conversion as is_fx_stale,
        needs_conversion,
        is_fx_missing,
        -- per unit of the item, in the line currency
        {{ fx_convert(
            'cn_part1_value_per_unit', 'currency', 'line_currency', 'from_units_per_eur', 'to_units_per_eur',
        ) }} as cn_part1_value_per_unit_line_currency,
        -- bound on the conversion error per unit (0 where the conversion is exact)
        {{ fx_error_bound(
            'cn_part1_value_per_unit', 'currency', 'line_currency', 'from_units_per_eur', 'to_units_per_eur',
        ) }} as conversion_error_bound_per_unit,
        -- the mass split's own error bound, carried into the line currency (the rate is
        -- applied to a bound: the converted bound plus its own conversion bound)
        coalesce(
            {{ fx_convert(
                'split_error_bound_per_unit', 'currency', 'line_currency', 'from_units_per_eur', 'to_units_per_eur',
            ) }} + {{ fx_error_bound(
                'split_error_bound_per_unit', 'currency', 'line_currency', 'from_units_per_eur', 'to_units_per_eur',
            ) }},
            0
        ) as split_error_bound_per_unit
    from converted
)

select * from final
