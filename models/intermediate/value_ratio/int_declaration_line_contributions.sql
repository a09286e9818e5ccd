{{ config(materialized='view') }}
-- The explanation of every share: one row per (declaration line, contributing component
-- on a BOM path, substance line, document): path, quantity, value, currency, rates,
-- basis. A compliance officer reproduces a line's cn_part1_value as
-- sum(cn_part1_value_per_unit_line_currency) x quantity. A view: it is as large as the
-- lines times their contributions and is read one shipment at a time.
with declarations as (
    select * from {{ ref('stg_customs__export_declarations') }}
),

converted as (
    select * from {{ ref('int_item_content_converted') }}
),

final as (
    select
        declarations.shipment_line_id || '|' || converted.contribution_id as line_contribution_id,
        declarations.shipment_line_id,
        declarations.quantity as line_quantity,
        converted.*,
        {{ decimal_multiply('converted.cn_part1_value_per_unit_line_currency', 'declarations.quantity') }}
            as cn_part1_value_line_currency
    from declarations
    inner join converted
        on
            declarations.item_id = converted.item_id
            and declarations.export_date = converted.export_date
            and declarations.currency = converted.line_currency
)

select * from final
