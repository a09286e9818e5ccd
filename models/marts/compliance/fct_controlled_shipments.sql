-- The lines where at least one rule fires as published (rules_triggered not empty): the
-- same columns as fct_shipment_determinations, kept as its own mart for BI users.
with determinations as (
    select * from {{ ref('fct_shipment_determinations') }}
),

final as (
    select *
    from determinations
    where rules_triggered != ''
)

select * from final
