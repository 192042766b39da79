-- The fiscal months and quarters as rows: one row per day and period type with the period
-- holding the day and the day's week of that period (METRICS.md, Week of period). The one
-- month/quarter unpivot of the calendar: `select distinct period_type, period_start,
-- period_end` lists the periods.
with dates as (
    select * from {{ ref('int_dates_spined') }}
),

months as (
    select
        date_day,
        'month' as period_type,
        month_start as period_start,
        month_end as period_end,
        week_of_month as week_of_period
    from dates
),

quarters as (
    select
        date_day,
        'quarter' as period_type,
        quarter_start as period_start,
        quarter_end as period_end,
        week_of_quarter as week_of_period
    from dates
),

final as (
    select * from months
    union all
    select * from quarters
)

select * from final
