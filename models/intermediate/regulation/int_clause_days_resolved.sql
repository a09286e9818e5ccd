{#-
    Rules in force as of a date: one row per (calendar date, clause), in both views.
    Precedence: before effective_from a clause is not_yet_effective in both views (a
    suspension cannot make a rule that has not started "suspended"); from effective_from
    the legal view is suspended on a day inside any suspension window of the clause
    (inclusive), else in_force; after an effective_to (none recorded) it is expired.
-#}

{%- set calendar_start = var('calendar_start', '2025-01-01') -%}
{%- set calendar_end = var('calendar_end', '2027-12-31') -%}

with

clauses as (
    select
        clause_id,
        instrument,
        effective_from,
        effective_to
    from {{ ref('regulatory_clauses') }}
),

suspensions as (
    select
        suspension_id,
        clause_id,
        suspended_from,
        suspended_to
    from {{ ref('regulatory_suspensions') }}
),

calendar_days as (
    {{ date_spine("date '" ~ calendar_start ~ "'", "date '" ~ calendar_end ~ "'") }}
),

clause_days as (
    select
        calendar_days.calendar_date,
        clauses.clause_id,
        clauses.instrument,
        clauses.effective_from,
        clauses.effective_to
    from calendar_days
    cross join clauses
),

clause_days_suspended as (
    -- the window that covers the day; where windows overlap (an extension recorded
    -- over the old one) the one that started last names the suspension
    select
        clause_days.calendar_date,
        clause_days.clause_id,
        suspensions.suspension_id
    from clause_days
    inner join suspensions
        on
            clause_days.clause_id = suspensions.clause_id
            and clause_days.calendar_date >= suspensions.suspended_from
            and (
                suspensions.suspended_to is null
                or clause_days.calendar_date <= suspensions.suspended_to
            )
    qualify row_number() over (
            partition by clause_days.clause_id, clause_days.calendar_date
            order by suspensions.suspended_from desc, suspensions.suspension_id asc
        ) = 1
),

resolved as (
    select
        clause_days.clause_id || '|' || {{ date_text('clause_days.calendar_date') }} as clause_day_id,
        clause_days.calendar_date,
        clause_days.clause_id,
        clause_days.instrument,
        clause_days.effective_from,
        clause_days.effective_to,
        case
            when clause_days.calendar_date < clause_days.effective_from then 'not_yet_effective'
            when clause_days.calendar_date > clause_days.effective_to then 'expired'
            else 'in_force'
        end as status_as_published,
        clause_days_suspended.suspension_id
    from clause_days
    left join clause_days_suspended
        on
            clause_days.clause_id = clause_days_suspended.clause_id
            and clause_days.calendar_date = clause_days_suspended.calendar_date
),

final as (
    select
        clause_day_id,
        calendar_date,
        clause_id,
        instrument,
        effective_from,
        effective_to,
        status_as_published,
        case
            when status_as_published = 'in_force' and suspension_id is not null then 'suspended'
            else status_as_published
        end as status_legal,
        -- only a suspension that actually bites is named: a window over a day the
        -- clause is not yet effective leaves the clause not_yet_effective
        case
            when status_as_published = 'in_force' then suspension_id
        end as suspension_id,
        status_as_published = 'in_force' as is_in_force_as_published,
        status_as_published = 'in_force' and suspension_id is null as is_in_force_legal
    from resolved
)

select * from final
