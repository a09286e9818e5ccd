-- The customs remarks duty (RULES.md §8; No. 18, and No. 57 while in force): one row per
-- export line of a Chinese domestic exporter whose item is a listed form (it carries a
-- control code of an instrument in force on the export date) or whose HS code (declared
-- or in the item master) is one of those control codes' reference commodity codes,
-- controlled or not. The remark must say which: the exact control code(s), sub-item
-- included, and no other code; or, where no code applies, that the goods are not
-- controlled. A line whose code cannot be determined is never taken as met.
-- Long because both triggers (control code, HS code) and the reading of the remark are
-- kept in one place, so what the remark must say and why it fails read together.
with ruled as (
    select * from {{ ref('int_declaration_lines_ruled') }}
),

declarations as (
    select * from {{ ref('stg_customs__export_declarations') }}
),

items as (
    select * from {{ ref('stg_erp__items') }}
),

control_codes as (
    select * from {{ ref('dual_use_control_codes') }}
),

clauses as (
    -- the instruments that carry the customs remarks duty
    select * from {{ ref('regulatory_clauses') }}
    where clause_id in ('18', '57')
),

clause_days as (
    select * from {{ ref('int_clause_days_resolved') }}
),

remark_codes as (
    select
        control_codes.control_code,
        lower(control_codes.control_code) as code_key,
        control_codes.reference_commodity_codes,
        clauses.clause_id,
        clauses.instrument
    from control_codes
    inner join clauses
        on control_codes.instrument = clauses.instrument
),

commodity_codes as (
    select distinct
        clause_id,
        instrument,
        replace(trim(unnest(string_split(reference_commodity_codes, ';'))), '.', '') as hs_prefix
    from remark_codes
),

days_in_force as (
    select
        clause_days.calendar_date,
        clause_days.clause_id
    from clause_days
    inner join clauses
        on clause_days.clause_id = clauses.clause_id
    where
        {{ selected_view('clause_days.is_in_force_legal', 'clause_days.is_in_force_as_published') }}
),

domestic_lines as (
    select
        ruled.shipment_line_id,
        ruled.export_date,
        ruled.control_codes,
        ruled.customs_remarks,
        ruled.is_known_item,
        ruled.is_part2_undetermined,
        regexp_replace(coalesce(declarations.hs_code, ''), '[^0-9]', '', 'g') as declared_hs_digits,
        regexp_replace(coalesce(items.hs_code, ''), '[^0-9]', '', 'g') as item_hs_digits
    from ruled
    left join declarations
        on ruled.shipment_line_id = declarations.shipment_line_id
    left join items
        on ruled.item_id = items.item_id
    where not ruled.is_foreign_operator and ruled.is_destination_outside_china
),

line_codes as (
    select
        shipment_line_id,
        export_date,
        lower(trim(unnest(string_split(control_codes, ';')))) as code_key
    from domestic_lines
    where control_codes is not null
),

-- the line's control codes under an instrument in force on the export date
expected_codes as (
    select
        line_codes.shipment_line_id,
        list(distinct remark_codes.control_code order by remark_codes.control_code) as expected_codes,
        string_agg(distinct remark_codes.instrument, '; ' order by remark_codes.instrument) as code_instruments
    from line_codes
    inner join remark_codes
        on line_codes.code_key = remark_codes.code_key
    inner join days_in_force
        on
            line_codes.export_date = days_in_force.calendar_date
            and remark_codes.clause_id = days_in_force.clause_id
    group by line_codes.shipment_line_id
),

hs_matches as (
    select
        domestic_lines.shipment_line_id,
        string_agg(distinct commodity_codes.instrument, '; ' order by commodity_codes.instrument) as hs_instruments
    from domestic_lines
    inner join days_in_force
        on domestic_lines.export_date = days_in_force.calendar_date
    inner join commodity_codes
        on
            days_in_force.clause_id = commodity_codes.clause_id
            and (
                starts_with(domestic_lines.declared_hs_digits, commodity_codes.hs_prefix)
                or starts_with(domestic_lines.item_hs_digits, commodity_codes.hs_prefix)
            )
    group by domestic_lines.shipment_line_id
),

-- the lines that owe the duty, and what their remark must say
remarks_read as (
    select
        domestic_lines.*,
        coalesce(expected_codes.expected_codes, []) as expected_codes,
        coalesce(expected_codes.code_instruments, hs_matches.hs_instruments) as legal_basis,
        not domestic_lines.is_known_item or domestic_lines.is_part2_undetermined as is_code_undetermined,
        regexp_matches(
            lower(coalesce(domestic_lines.customs_remarks, '')),
            '{{ var("customs_remark_not_controlled_pattern") }}'
        ) as states_not_controlled
    from domestic_lines
    left join expected_codes
        on domestic_lines.shipment_line_id = expected_codes.shipment_line_id
    left join hs_matches
        on domestic_lines.shipment_line_id = hs_matches.shipment_line_id
    where expected_codes.shipment_line_id is not null or hs_matches.shipment_line_id is not null
),

remarks_parsed as (
    select
        *,
        -- the dual-use codes the remark names, sub-items included (1C905, 1C905.b, ...),
        -- written canonically (1C905.b) whatever the case of the remark
        list_distinct(
            list_transform(
                regexp_extract_all(
                    lower(coalesce(customs_remarks, '')), '\b\d[a-e]\d{3}(?:\.[a-z0-9]+)*'
                ),
                lambda code: upper(code[1:5]) || code[6:]
            )
        ) as named_codes
    from remarks_read
),

checked as (
    select
        *,
        list_filter(named_codes, lambda code: not list_contains(expected_codes, code)) as other_codes,
        list_filter(expected_codes, lambda code: not list_contains(named_codes, code)) as missing_codes
    from remarks_parsed
),

final as (
    select
        shipment_line_id,
        legal_basis,
        customs_remarks,
        case
            when is_code_undetermined and len(expected_codes) = 0 then null
            when len(expected_codes) = 0 then 'not controlled'
            else array_to_string(expected_codes, '; ')
        end as expected_remark,
        case
            when is_code_undetermined and len(expected_codes) = 0 then false
            when len(expected_codes) = 0 then states_not_controlled and len(named_codes) = 0
            else len(missing_codes) = 0 and len(other_codes) = 0 and not states_not_controlled
        end as is_remark_met,
        case
            when is_code_undetermined and len(expected_codes) = 0
                then 'the line''s control code cannot be determined (unknown item or magnet composition): '
                    || 'check the remark by hand'
            when coalesce(trim(customs_remarks), '') = '' then 'the remarks column is empty'
            when len(expected_codes) = 0 and len(named_codes) > 0
                then 'the remarks name ' || array_to_string(named_codes, ', ')
                    || ' but no control code applies to the line on the export date'
            when len(expected_codes) = 0 and not states_not_controlled
                then 'the remarks do not state that the goods are not controlled'
            when len(other_codes) > 0
                then 'the remarks name ' || array_to_string(other_codes, ', ')
                    || ' (not the line''s code ' || array_to_string(expected_codes, '; ') || ')'
            when len(missing_codes) > 0
                then 'the remarks do not name ' || array_to_string(missing_codes, ', ')
            when len(expected_codes) > 0 and states_not_controlled
                then 'the remarks state that the goods are not controlled, but '
                    || array_to_string(expected_codes, '; ') || ' applies'
        end as remark_finding
    from checked
)

select * from final
