-- The days the weekly pipeline is measured on: every Sunday (the ISO week's last day,
-- dim_date.iso_day_of_week = 7) from the week of the first landing day through the as-of day,
-- plus the as-of day itself when it is not a Sunday (its week is still running:
-- is_week_complete = false). The first landing day is var('pipeline_snapshot_start') when set
-- (unit tests), else the earliest landing day loaded, read the way macros/as_of.sql reads the
-- latest one (it does not move when the warehouse is built as of a later day).
{%- set snapshot_start = var('pipeline_snapshot_start', none) %}

with calendar as (
    select * from {{ ref('int_dates_spined') }}
),

bounds as (
    select
        {% if snapshot_start -%}
        cast('{{ snapshot_start }}' as date)
        {%- else -%}
        (select min(batch_date) from {{ adapter.quote(target.database) }}.raw._loaded_days)
        {%- endif %} as first_landing_day,
        {{ as_of_date() }} as as_of_date
),

final as (
    select
        calendar.date_day as snapshot_date,
        cast({{ dbt.dateadd('day', '7 - calendar.iso_day_of_week', 'calendar.date_day') }} as date) as week_end_date,
        calendar.iso_day_of_week = 7 as is_week_complete,
        calendar.month_start,
        calendar.month_end,
        calendar.quarter_start,
        calendar.quarter_end
    from calendar
    cross join bounds
    where calendar.date_day >= bounds.first_landing_day
        and calendar.date_day <= bounds.as_of_date
        and (calendar.iso_day_of_week = 7 or calendar.date_day = bounds.as_of_date)
)

select * from final
