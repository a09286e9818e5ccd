{#- End use of each declaration line (No. 61 Arts. 3-5, RULES.md §7). The declared code and
    the end-use statement are both read; the stricter outcome wins, and a statement whose
    outcome differs from the declared code's is a contradiction (review downstream).

    A statement is read whole, once per distinct text, with the patterns seed in ascending
    priority: every pattern is tried. A keyword pattern that matches gives its code and
    consumes the words it matched, so later patterns do not read them again ('non-military'
    is not read as 'military'; 'AI with potential military use' not as military use). A
    number_threshold pattern that matches tests every figure of its unit (figure_unit) in
    the statement against its threshold, comparatives included ('22 nm and below' is
    <= 22 nm, 'at least 256 layers' is >= 256, '7-14 nm' a range): the code if met when any
    figure's range reaches the threshold, else the code if not met. The strictest code
    read (outcome_precedence, then priority) is the statement's; a matching pattern that
    gives no code (a negation, an equipment wavelength) leaves part of the statement
    unread: a line without a declared code then goes to review (is_end_use_unclear). -#}
{#- Figure grammar: [qualifier] number [range] [+] unit [+ | and/or below|above|beyond]. -#}
{%- set lower_words = "at\\s+least|no\\s+(?:less|fewer)\\s+than|not\\s+(?:less|fewer)\\s+than|more\\s+than"
    ~ "|greater\\s+than|over|above|beyond|minimum(?:\\s+of)?|min\\.?" -%}
{%- set upper_words = "at\\s+most|no\\s+more\\s+than|not\\s+more\\s+than|less\\s+than|fewer\\s+than"
    ~ "|smaller\\s+than|under|below|up\\s+to|maximum(?:\\s+of)?|max\\.?" -%}
{%- set figure_qualifier = "(?:\\b(?:" ~ lower_words ~ "|" ~ upper_words ~ ")\\s*"
    ~ "|(?:>=|<=|≥|≤|>|<)\\s*|\\bsub-?\\s*)?" -%}
{%- set figure_number = "\\b\\d+(?:\\.\\d+)?(?:\\s*(?:-|–|to)\\s*\\d+(?:\\.\\d+)?)?\\s*\\+?\\s*-?\\s*" -%}
{%- set figure_suffix = "\\b(?:\\s*\\+|\\s+(?:and|or|&)\\s+(?:below|under|less|lower|smaller|fewer|finer|beneath"
    ~ "|above|over|more|greater|higher|larger|up|beyond)\\b)?" -%}

with recursive declarations as (
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
    select
        *,
        row_number() over (order by priority, pattern_id) as pattern_step
    from {{ ref('end_use_statement_patterns') }}
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

-- Every pattern in priority order; a keyword match consumes its words (replaced by ';',
-- which also stops a number pattern's context from spanning them).
statement_walk as (
    select
        end_use_statement,
        0 as pattern_step,
        end_use_statement as text_read,
        cast(null as varchar) as pattern_id,
        false as is_match
    from distinct_statements
    union all
    select
        statement_walk.end_use_statement,
        statement_patterns.pattern_step,
        case
            when statement_patterns.pattern_kind = 'keyword'
                then regexp_replace(statement_walk.text_read, statement_patterns.pattern, ' ; ', 'g')
            else statement_walk.text_read
        end as text_read,
        statement_patterns.pattern_id,
        regexp_matches(statement_walk.text_read, statement_patterns.pattern) as is_match
    from statement_walk
    inner join statement_patterns
        on statement_walk.pattern_step + 1 = statement_patterns.pattern_step
),

-- the text each pattern was tried on (before its own consumption)
pattern_matches as (
    select
        statement_walk.end_use_statement,
        statement_patterns.pattern_id,
        statement_patterns.priority,
        statement_patterns.pattern_kind,
        statement_patterns.comparator,
        statement_patterns.threshold,
        statement_patterns.end_use_code_if_met,
        statement_patterns.end_use_code_if_not_met,
        statement_patterns.figure_unit,
        previous_step.text_read as text_tried
    from statement_walk
    inner join statement_patterns
        on statement_walk.pattern_id = statement_patterns.pattern_id
    inner join statement_walk as previous_step
        on
            statement_walk.end_use_statement = previous_step.end_use_statement
            and statement_walk.pattern_step = previous_step.pattern_step + 1
    where statement_walk.is_match
),

-- Every figure of the pattern's unit in the text it was tried on, with its comparative.
figure_lists as (
    select
        end_use_statement,
        pattern_id,
        regexp_extract_all(
            text_tried,
            '(?i){{ figure_qualifier }}{{ figure_number }}' || figure_unit || '{{ figure_suffix }}',
            0
        ) as figure_texts
    from pattern_matches
    where pattern_kind = 'number_threshold' and figure_unit is not null
),

figures as (
    select
        end_use_statement,
        pattern_id,
        unnest(figure_texts) as figure_text,
        generate_subscripts(figure_texts, 1) as figure_position
    from figure_lists
),

figures_parsed as (
    select
        end_use_statement,
        pattern_id,
        figure_text,
        figure_position,
        cast(regexp_extract(figure_text, '(\d+(?:\.\d+)?)', 1) as decimal(38, 12)) as first_number,
        cast(
            nullif(regexp_extract(figure_text, '\d+(?:\.\d+)?\s*(?:-|–|to)\s*(\d+(?:\.\d+)?)', 1), '')
            as decimal(38, 12)
        ) as second_number,
        case
            when regexp_matches(
                    figure_text,
                    '(?i)^\s*(?:at\s+least|no\s+(?:less|fewer)\s+than|not\s+(?:less|fewer)\s+than|minimum|min\b|>=|≥)'
                )
                then 'lower_inclusive'
            when regexp_matches(figure_text, '(?i)^\s*(?:more\s+than|greater\s+than|over|above|beyond|>)')
                then 'lower_exclusive'
            when regexp_matches(
                    figure_text, '(?i)^\s*(?:at\s+most|no\s+more\s+than|not\s+more\s+than|up\s+to|maximum|max\b|<=|≤)'
                )
                then 'upper_inclusive'
            when regexp_matches(figure_text, '(?i)^\s*(?:less\s+than|fewer\s+than|smaller\s+than|under|below|sub|<)')
                then 'upper_exclusive'
            when regexp_matches(
                    figure_text, '(?i)(?:and|or|&)\s+(?:below|under|less|lower|smaller|fewer|finer|beneath)\s*$'
                )
                then 'upper_inclusive'
            when regexp_matches(
                    figure_text,
                    '(?i)(?:(?:and|or|&)\s+(?:above|over|more|greater|higher|larger|up)\s*$|\d\s*\+|\+\s*$)'
                )
                then 'lower_inclusive'
            -- '14 nm and beyond': smaller nodes or more layers? read as unbounded (conservative)
            when regexp_matches(figure_text, '(?i)(?:and|or|&)\s+beyond\s*$') then 'unbounded'
            else 'exact'
        end as figure_comparative
    from figures
),

figure_ranges as (
    select
        figures_parsed.*,
        case
            when
                figures_parsed.second_number is not null
                then least(figures_parsed.first_number, figures_parsed.second_number)
            when
                figures_parsed.figure_comparative in ('exact', 'lower_inclusive', 'lower_exclusive')
                then figures_parsed.first_number
        end as range_from,
        figures_parsed.figure_comparative = 'lower_exclusive'
        and figures_parsed.second_number is null as is_range_from_exclusive,
        case
            when
                figures_parsed.second_number is not null
                then greatest(figures_parsed.first_number, figures_parsed.second_number)
            when
                figures_parsed.figure_comparative in ('exact', 'upper_inclusive', 'upper_exclusive')
                then figures_parsed.first_number
        end as range_to,
        figures_parsed.figure_comparative = 'upper_exclusive'
        and figures_parsed.second_number is null as is_range_to_exclusive
    from figures_parsed
),

figures_tested as (
    select
        figure_ranges.*,
        case statement_patterns.comparator
            when 'le'
                then
                    figure_ranges.range_from is null
                    or figure_ranges.range_from < statement_patterns.threshold
                    or (
                        figure_ranges.range_from = statement_patterns.threshold
                        and not figure_ranges.is_range_from_exclusive
                    )
            when 'ge'
                then
                    figure_ranges.range_to is null
                    or figure_ranges.range_to > statement_patterns.threshold
                    or (
                        figure_ranges.range_to = statement_patterns.threshold
                        and not figure_ranges.is_range_to_exclusive
                    )
        end as is_threshold_met
    from figure_ranges
    inner join statement_patterns
        on figure_ranges.pattern_id = statement_patterns.pattern_id
),

figures_per_pattern as (
    select
        end_use_statement,
        pattern_id,
        bool_or(is_threshold_met) as is_any_figure_met,
        count(*) as figure_count,
        -- the figure that decides: the first that meets the threshold, else the first
        arg_min(first_number, case when is_threshold_met then 0 else 1 end * 1000 + figure_position)
            as deciding_number,
        string_agg(
            '"' || figure_text || '"' || case when is_threshold_met then ' meets ' else ' does not meet ' end,
            ', ' order by figure_position
        ) as figures_text
    from figures_tested
    group by end_use_statement, pattern_id
),

pattern_codes as (
    select
        pattern_matches.end_use_statement,
        pattern_matches.pattern_id,
        pattern_matches.priority,
        pattern_matches.comparator,
        pattern_matches.threshold,
        figures_per_pattern.deciding_number,
        figures_per_pattern.figures_text,
        case
            when pattern_matches.pattern_kind = 'keyword' then pattern_matches.end_use_code_if_met
            when figures_per_pattern.is_any_figure_met then pattern_matches.end_use_code_if_met
            when figures_per_pattern.figure_count > 0 then pattern_matches.end_use_code_if_not_met
        end as end_use_code
    from pattern_matches
    left join figures_per_pattern
        on
            pattern_matches.end_use_statement = figures_per_pattern.end_use_statement
            and pattern_matches.pattern_id = figures_per_pattern.pattern_id
),

pattern_codes_ranked as (
    select
        pattern_codes.*,
        end_use_codes.outcome_precedence
    from pattern_codes
    left join end_use_codes
        on pattern_codes.end_use_code = end_use_codes.end_use_code
),

statements_classified as (
    select
        end_use_statement,
        arg_min(
            end_use_code, coalesce(outcome_precedence, 99) * 100000 + priority
        ) filter (where end_use_code is not null) as end_use_code_from_statement,
        arg_min(
            pattern_id, coalesce(outcome_precedence, 99) * 100000 + priority
        ) filter (where end_use_code is not null) as deciding_pattern_id,
        arg_min(
            deciding_number, coalesce(outcome_precedence, 99) * 100000 + priority
        ) filter (where end_use_code is not null) as end_use_statement_number,
        arg_min(pattern_id, priority) as first_pattern_id,
        string_agg(pattern_id, ';' order by priority) as end_use_pattern_ids,
        bool_or(end_use_code is null) as has_unread_statement_part,
        string_agg(
            pattern_id || ' -> ' || coalesce(end_use_code, 'no code')
            || coalesce(
                ' (' || figures_text || case comparator when 'le' then '<= ' else '>= ' end
                || regexp_replace(cast(threshold as varchar), '\.?0+$', '') || ')',
                ''
            ),
            '; ' order by priority
        ) as statement_reading
    from pattern_codes_ranked
    group by end_use_statement
),

lines_read as (
    select
        declarations.shipment_line_id,
        declarations.export_date,
        declarations.end_use_code_declared,
        declarations.end_use_statement,
        statements_classified.end_use_code_from_statement,
        coalesce(statements_classified.deciding_pattern_id, statements_classified.first_pattern_id)
            as end_use_pattern_id,
        statements_classified.end_use_pattern_ids,
        statements_classified.end_use_statement_number,
        coalesce(statements_classified.has_unread_statement_part, false) as has_unread_statement_part,
        statements_classified.statement_reading,
        declared_codes.end_use_code is not null as is_declared_code_known,
        declared_codes.outcome_precedence as declared_precedence,
        declared_codes.end_use_outcome as declared_outcome,
        statement_codes.outcome_precedence as statement_precedence,
        statement_codes.end_use_outcome as statement_outcome
    from declarations
    left join statements_classified
        on declarations.end_use_statement = statements_classified.end_use_statement
    left join end_use_codes as declared_codes
        on declarations.end_use_code_declared = declared_codes.end_use_code
    left join end_use_codes as statement_codes
        on statements_classified.end_use_code_from_statement = statement_codes.end_use_code
),

-- the stricter of the declared code and the statement (the declared code on a tie)
lines_resolved as (
    select
        *,
        end_use_code_from_statement is not null
        and (not is_declared_code_known or statement_precedence < declared_precedence) as is_statement_stricter
    from lines_read
),

final as (
    select
        lines_resolved.shipment_line_id,
        lines_resolved.export_date,
        lines_resolved.end_use_code_declared,
        lines_resolved.end_use_statement,
        lines_resolved.end_use_code_from_statement,
        case
            when lines_resolved.is_statement_stricter then lines_resolved.end_use_code_from_statement
            else lines_resolved.end_use_code_declared
        end as end_use_code_resolved,
        case
            when lines_resolved.is_statement_stricter then 'statement_pattern:' || lines_resolved.end_use_pattern_id
            when lines_resolved.end_use_code_declared is not null then 'declared_code'
            else 'unclear'
        end as end_use_classification_basis,
        lines_resolved.end_use_pattern_id,
        lines_resolved.end_use_pattern_ids,
        lines_resolved.end_use_statement_number,
        end_use_codes.end_use_category,
        coalesce(end_use_codes.end_use_outcome, 'standard') as end_use_outcome,
        coalesce(end_use_codes.outcome_precedence, standard_precedence.outcome_precedence)
            as end_use_outcome_precedence,
        end_use_codes.rule_ref as end_use_rule_ref,
        end_use_codes.end_use_code is null
        or (lines_resolved.end_use_code_declared is not null and not lines_resolved.is_declared_code_known)
        or (lines_resolved.end_use_code_declared is null and lines_resolved.has_unread_statement_part)
            as is_end_use_unclear,
        lines_resolved.has_unread_statement_part,
        coalesce(
            lines_resolved.is_declared_code_known
            and lines_resolved.statement_outcome is not null
            and lines_resolved.statement_outcome != lines_resolved.declared_outcome,
            false
        ) as is_statement_outcome_conflict,
        concat_ws(
            ' ',
            case
                when lines_resolved.end_use_code_declared is null then 'End-use code empty.'
                when not lines_resolved.is_declared_code_known
                    then 'Declared end-use code ''' || lines_resolved.end_use_code_declared
                        || ''' is not in the end-use vocabulary: review.'
                else
                    'Declared end-use code ' || lines_resolved.end_use_code_declared || ' ('
                    || lines_resolved.declared_outcome || ').'
            end,
            case
                when lines_resolved.end_use_statement is null then 'No end-use statement.'
                when lines_resolved.statement_reading is null
                    then 'Statement "' || lines_resolved.end_use_statement || '" matches no pattern.'
                else
                    'Statement "' || lines_resolved.end_use_statement || '" read as: '
                    || lines_resolved.statement_reading || '.'
            end,
            case
                when
                    lines_resolved.is_declared_code_known
                    and lines_resolved.statement_outcome is not null
                    and lines_resolved.statement_outcome != lines_resolved.declared_outcome
                    then 'The statement (' || lines_resolved.statement_outcome || ') contradicts the declared code ('
                        || lines_resolved.declared_outcome || '): the stricter applies, review.'
            end,
            case
                when end_use_codes.end_use_code is not null
                    then 'End use ' || end_use_codes.end_use_code || ' (' || end_use_codes.end_use_outcome
                        || coalesce(', ' || end_use_codes.rule_ref, '') || ').'
            end,
            case
                when
                    end_use_codes.end_use_code is null
                    or (lines_resolved.end_use_code_declared is null and lines_resolved.has_unread_statement_part)
                    then 'End use not determinable with confidence: review.'
            end
        ) as end_use_explanation
    from lines_resolved
    left join end_use_codes
        on
            case
                when lines_resolved.is_statement_stricter then lines_resolved.end_use_code_from_statement
                else lines_resolved.end_use_code_declared
            end = end_use_codes.end_use_code
    cross join standard_precedence
)

select * from final
