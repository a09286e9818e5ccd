-- End use of each declaration line (No. 61 Arts. 3-5, RULES.md §7): the declared code, or,
-- where the code is empty, the code read from the end-use statement with the patterns seed
-- (ascending priority, the first pattern that matches decides; a number_threshold pattern
-- compares its extracted figure with the seed's threshold by the seed's comparator).
-- Statements are classified once per distinct text, then joined back to the lines.
with declarations as (
    select
        shipment_line_id,
        export_date,
        nullif(trim(end_use_code), '') as end_use_code_declared,
        nullif(trim(end_use_statement), '') as end_use_statement
    from {{ ref('stg_customs__export_declarations') }}
),

end_use_codes as (
    select * from {{ ref('end_use_codes') }}
),

statement_patterns as (
    select * from {{ ref('end_use_statement_patterns') }}
),

standard_precedence as (
    select min(outcome_precedence) as outcome_precedence
    from end_use_codes
    where end_use_outcome = 'standard'
),

distinct_statements as (
    select distinct end_use_statement
    from declarations
    where end_use_statement is not null
),

pattern_matches as (
    select
        distinct_statements.end_use_statement,
        statement_patterns.pattern_id,
        statement_patterns.priority,
        statement_patterns.pattern_kind,
        statement_patterns.comparator,
        statement_patterns.threshold,
        statement_patterns.end_use_code_if_met,
        statement_patterns.end_use_code_if_not_met,
        case
            when statement_patterns.pattern_kind = 'number_threshold'
                then try_cast(
                        nullif(regexp_extract(distinct_statements.end_use_statement, statement_patterns.pattern, 1), '')
                        as decimal(38, 12)
                    )
        end as extracted_number
    from distinct_statements
    inner join statement_patterns
        on {{ regex_matches('distinct_statements.end_use_statement', 'statement_patterns.pattern') }}
),

first_matches as (
    select *
    from pattern_matches
    qualify row_number() over (partition by end_use_statement order by priority) = 1
),

statements_classified as (
    select
        end_use_statement,
        pattern_id as end_use_pattern_id,
        extracted_number as end_use_statement_number,
        case
            when pattern_kind = 'keyword' then end_use_code_if_met
            when pattern_kind = 'number_threshold' and comparator = 'le' and extracted_number <= threshold
                then end_use_code_if_met
            when pattern_kind = 'number_threshold' and comparator = 'ge' and extracted_number >= threshold
                then end_use_code_if_met
            when pattern_kind = 'number_threshold' and extracted_number is not null
                then end_use_code_if_not_met
        end as end_use_code_from_statement,
        case
            when pattern_kind = 'number_threshold'
                then
                    'statement figure ' || {{ trim_decimal_zeros('extracted_number') }}
                    || case comparator when 'le' then ' <= ' when 'ge' then ' >= ' end
                    || {{ trim_decimal_zeros('threshold') }}
                    || case
                        when comparator = 'le' and extracted_number <= threshold then ' holds'
                        when comparator = 'ge' and extracted_number >= threshold then ' holds'
                        else ' does not hold'
                    end
        end as end_use_threshold_test
    from first_matches
),

lines_resolved as (
    select
        declarations.shipment_line_id,
        declarations.export_date,
        declarations.end_use_code_declared,
        declarations.end_use_statement,
        statements_classified.end_use_pattern_id,
        statements_classified.end_use_statement_number,
        statements_classified.end_use_threshold_test,
        statements_classified.end_use_code_from_statement,
        coalesce(
            declarations.end_use_code_declared, statements_classified.end_use_code_from_statement
        ) as end_use_code_resolved,
        case
            when declarations.end_use_code_declared is not null then 'declared_code'
            when statements_classified.end_use_code_from_statement is not null
                then 'statement_pattern:' || statements_classified.end_use_pattern_id
            else 'unclear'
        end as end_use_classification_basis
    from declarations
    left join statements_classified
        on declarations.end_use_statement = statements_classified.end_use_statement
),

final as (
    select
        lines_resolved.shipment_line_id,
        lines_resolved.export_date,
        lines_resolved.end_use_code_declared,
        lines_resolved.end_use_statement,
        lines_resolved.end_use_code_from_statement,
        lines_resolved.end_use_code_resolved,
        lines_resolved.end_use_classification_basis,
        lines_resolved.end_use_pattern_id,
        lines_resolved.end_use_statement_number,
        end_use_codes.end_use_category,
        coalesce(end_use_codes.end_use_outcome, 'standard') as end_use_outcome,
        coalesce(end_use_codes.outcome_precedence, standard_precedence.outcome_precedence)
            as end_use_outcome_precedence,
        end_use_codes.rule_ref as end_use_rule_ref,
        lines_resolved.end_use_code_resolved is null or end_use_codes.end_use_code is null as is_end_use_unclear,
        coalesce(
            lines_resolved.end_use_code_declared is not null
            and statement_codes.end_use_outcome is not null
            and statement_codes.end_use_outcome != end_use_codes.end_use_outcome,
            false
        ) as is_statement_outcome_conflict,
        case
            when lines_resolved.end_use_code_declared is not null and end_use_codes.end_use_code is null
                then 'Declared end-use code ''' || lines_resolved.end_use_code_declared
                    || ''' is not in the end-use vocabulary: review.'
            when lines_resolved.end_use_code_declared is not null
                then 'Declared end-use code ' || lines_resolved.end_use_code_declared || ' ('
                    || end_use_codes.end_use_outcome || coalesce(', ' || end_use_codes.rule_ref, '') || ')'
                    || case
                        when statement_codes.end_use_outcome != end_use_codes.end_use_outcome
                            then '; the statement reads as ' || lines_resolved.end_use_code_from_statement
                                || ' (' || statement_codes.end_use_outcome || '): check the declaration'
                        else ''
                    end || '.'
            when lines_resolved.end_use_code_resolved is not null
                then 'End-use code empty; statement "' || lines_resolved.end_use_statement || '" read as '
                    || lines_resolved.end_use_code_resolved || ' by pattern ' || lines_resolved.end_use_pattern_id
                    || coalesce(' (' || lines_resolved.end_use_threshold_test || ')', '') || ' ('
                    || end_use_codes.end_use_outcome || coalesce(', ' || end_use_codes.rule_ref, '') || ').'
            when lines_resolved.end_use_statement is null
                then 'End-use code and statement both empty: end use unknown, review.'
            when lines_resolved.end_use_pattern_id is not null
                then 'End-use code empty; statement "' || lines_resolved.end_use_statement || '" matched pattern '
                    || lines_resolved.end_use_pattern_id
                    || coalesce(' (' || lines_resolved.end_use_threshold_test || ')', '')
                    || ', which leaves it to review.'
            else 'End-use code empty; statement "' || lines_resolved.end_use_statement
                || '" matches no pattern: review.'
        end as end_use_explanation
    from lines_resolved
    left join end_use_codes
        on lines_resolved.end_use_code_resolved = end_use_codes.end_use_code
    left join end_use_codes as statement_codes
        on lines_resolved.end_use_code_from_statement = statement_codes.end_use_code
    cross join standard_precedence
)

select * from final
