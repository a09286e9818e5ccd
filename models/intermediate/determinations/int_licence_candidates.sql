-- Every licence that could cover a line needing one (RULES.md §8): a licence of the
-- exporting entity, for the item, destination and end user (empty = any), valid on the
-- export date, with what the line would draw on it (quantity; value in the licence's
-- currency). One row per (line, candidate licence), ranked: the most specific licence,
-- then the one expiring first, is tried first. int_declaration_lines_licensed draws them.
with ruled as (
    select * from {{ ref('int_declaration_lines_ruled') }}
),

licences as (
    select * from {{ ref('stg_licences__licences') }}
),

fx_days as (
    select * from {{ ref('int_fx_rates_daily') }}
),

needing as (
    select *
    from ruled
    where licence_requirement = 'required'
),

candidates as (
    select
        needing.shipment_line_id,
        needing.declaration_id,
        needing.line_no,
        needing.export_date,
        needing.quantity,
        needing.line_value,
        needing.currency,
        licences.licence_id,
        licences.quantity_authorised,
        licences.value_authorised,
        licences.value_authorised_currency,
        cast(licences.item_id is not null as integer)
        + cast(licences.destination_country is not null as integer)
        + cast(licences.end_user_party_id is not null as integer) as specificity,
        licences.valid_to
    from needing
    inner join licences
        on
            needing.exporter_entity_id = licences.holder_entity_id
            and (licences.item_id is null or needing.item_id = licences.item_id)
            and (licences.destination_country is null or needing.destination_country = licences.destination_country)
            and (licences.end_user_party_id is null or needing.end_user_party_id = licences.end_user_party_id)
            and needing.export_date between licences.valid_from and licences.valid_to
),

final as (
    select
        candidates.shipment_line_id || '|' || candidates.licence_id as licence_candidate_id,
        candidates.shipment_line_id,
        candidates.licence_id,
        candidates.export_date,
        candidates.declaration_id,
        candidates.line_no,
        row_number() over (
            partition by candidates.shipment_line_id
            order by candidates.specificity desc, candidates.valid_to asc, candidates.licence_id asc
        ) as candidate_rank,
        candidates.quantity as quantity_drawn,
        candidates.quantity_authorised,
        {{ fx_convert(
            'candidates.line_value', 'candidates.currency', 'candidates.value_authorised_currency',
            'from_fx.units_per_eur', 'to_fx.units_per_eur',
        ) }} as value_drawn,
        candidates.value_authorised,
        candidates.value_authorised_currency
    from candidates
    left join fx_days as from_fx
        on
            candidates.currency = from_fx.currency
            and candidates.export_date = from_fx.calendar_date
    left join fx_days as to_fx
        on
            candidates.value_authorised_currency = to_fx.currency
            and candidates.export_date = to_fx.calendar_date
)

select * from final
