-- Licence coverage of each line that needs a MOFCOM licence (RULES.md §8): a licence of
-- the exporting entity, for the item, destination and end user (empty = any), valid on
-- the export date, with its quantity and value consumed in export-date order (then
-- declaration, line). A line that would overdraw the licence is not covered; because a
-- licence is drawn in shipment order, every later line drawn on it is not covered either
-- (a conservative reading: the exporter must re-apply once a licence is overdrawn).
-- One row per line that needs a licence under the view apply_suspensions selects; only
-- those lines draw on a licence.
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
        -- the most specific licence is drawn first
        (licences.item_id is not null)::int
        + (licences.destination_country is not null)::int
        + (licences.end_user_party_id is not null)::int as specificity,
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

chosen as (
    select *
    from candidates
    qualify row_number() over (
            partition by shipment_line_id
            order by specificity desc, valid_to asc, licence_id asc
        ) = 1
),

drawn as (
    select
        chosen.*,
        {{ fx_convert(
            'chosen.line_value', 'chosen.currency', 'chosen.value_authorised_currency',
            'from_fx.units_per_eur', 'to_fx.units_per_eur',
        ) }} as value_drawn,
        sum(chosen.quantity) over licence_order as cumulative_quantity,
        sum(
            {{ fx_convert(
                'chosen.line_value', 'chosen.currency', 'chosen.value_authorised_currency',
                'from_fx.units_per_eur', 'to_fx.units_per_eur',
            ) }}
        ) over licence_order as cumulative_value
    from chosen
    left join fx_days as from_fx
        on
            chosen.currency = from_fx.currency
            and chosen.export_date = from_fx.calendar_date
    left join fx_days as to_fx
        on
            chosen.value_authorised_currency = to_fx.currency
            and chosen.export_date = to_fx.calendar_date
    window licence_order as (
        partition by chosen.licence_id
        order by chosen.export_date, chosen.declaration_id, chosen.line_no
        rows between unbounded preceding and current row
    )
),

final as (
    select
        needing.shipment_line_id,
        drawn.licence_id,
        drawn.cumulative_quantity,
        drawn.quantity_authorised,
        drawn.cumulative_value,
        drawn.value_authorised,
        drawn.value_authorised_currency,
        case
            when drawn.licence_id is null then false
            when
                drawn.quantity_authorised is not null and drawn.cumulative_quantity > drawn.quantity_authorised
                then false
            when drawn.value_authorised is not null and drawn.value_drawn is null then false
            when drawn.value_authorised is not null and drawn.cumulative_value > drawn.value_authorised then false
            else true
        end as is_covered,
        case
            when drawn.licence_id is null
                then 'no licence of ' || needing.exporter_entity_id || ' covers this item, destination and end user on '
                    || (needing.export_date)::varchar
            when drawn.quantity_authorised is not null and drawn.cumulative_quantity > drawn.quantity_authorised
                then 'licence ' || drawn.licence_id || ' is exhausted: ' || (drawn.cumulative_quantity)::varchar
                    || ' drawn in shipment order against ' || (drawn.quantity_authorised)::varchar || ' authorised'
            when drawn.value_authorised is not null and drawn.value_drawn is null
                then 'licence ' || drawn.licence_id || ': no FX rate to draw its value'
            when drawn.value_authorised is not null and drawn.cumulative_value > drawn.value_authorised
                then 'licence ' || drawn.licence_id || ' is exhausted: value ' || (drawn.cumulative_value)::varchar
                    || ' ' || drawn.value_authorised_currency || ' drawn against ' || (drawn.value_authorised)::varchar
            else 'covered by licence ' || drawn.licence_id
        end as licence_explanation
    from needing
    left join drawn
        on needing.shipment_line_id = drawn.shipment_line_id
)

select * from final
