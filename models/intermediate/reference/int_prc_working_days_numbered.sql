-- PRC working days numbered in order, so that "the 10th working day after the export
-- date" is a lookup: statutory holidays are skipped and weekend make-up working days
-- count (State Council arrangements, via the chinese-calendar package). Dates beyond the
-- calendar's coverage are absent: a deadline that would fall there is not guessed.
with working_days as (
    select * from {{ ref('prc_working_days') }}
),

final as (
    select
        calendar_date,
        is_working_day,
        is_statutory_holiday,
        is_makeup_working_day,
        holiday_name,
        -- working days up to and including this date
        sum(case when is_working_day then 1 else 0 end) over (order by calendar_date) as working_day_number
    from working_days
)

select * from final
