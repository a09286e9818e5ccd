-- end_use_classification_basis is `declared_code`, `unclear` or `statement_pattern:<pattern_id>`
-- naming a pattern of the seed, and agrees with the code columns (a statement may decide
-- over a declared code when it reads stricter).
with classified as (
    select * from {{ ref('int_declaration_lines_end_use_classified') }}
),

statement_patterns as (
    select * from {{ ref('end_use_statement_patterns') }}
),

final as (
    select
        classified.shipment_line_id,
        classified.end_use_classification_basis,
        classified.end_use_code_declared,
        classified.end_use_code_from_statement,
        classified.end_use_code_resolved
    from classified
    left join statement_patterns
        on classified.end_use_classification_basis = 'statement_pattern:' || statement_patterns.pattern_id
    where not (
            (classified.end_use_classification_basis = 'declared_code' and classified.end_use_code_declared is not null)
            or (
                classified.end_use_classification_basis = 'unclear'
                and classified.end_use_code_resolved is null
                and classified.is_end_use_unclear
            )
            -- the statement decides where no code is declared or where it is stricter
            or (
                statement_patterns.pattern_id is not null
                and classified.end_use_code_resolved = classified.end_use_code_from_statement
            )
        )
)

select * from final
