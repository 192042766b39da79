-- The fiscal calendar (one row per calendar day with its calendar and fiscal periods), the one
-- spine every intermediate model and mart reads; dim_date publishes it. Fiscal months are calendar
-- months; fiscal quarters and years start in var('fiscal_year_start_month'). A fiscal year
-- is named for the calendar year it ends in. Week of period (METRICS.md): week 1 starts on
-- the period's first day, week k covers days 7(k-1) .. 7k-1 from it.
{% set start_month = var('fiscal_year_start_month') | int %}

with days as (
    {#- date_spine leaves out its end date, so it runs to the day after calendar_end -#}
    {{ dbt.date_spine(
        'day',
        "cast('" ~ var('calendar_start') ~ "' as date)",
        dbt.dateadd('day', 1, "cast('" ~ var('calendar_end') ~ "' as date)")
    ) }}
),

calendar as (
    select
        cast(date_day as date) as date_day,
        cast(extract(year from date_day) as integer) as calendar_year,
        cast(extract(month from date_day) as integer) as calendar_month,
        cast(extract(day from date_day) as integer) as day_of_month,
        cast(extract(isodow from date_day) as integer) as iso_day_of_week,
        cast({{ dbt.date_trunc('month', 'date_day') }} as date) as month_start,
        cast({{ dbt.date_trunc('week', 'date_day') }} as date) as week_start
    from days
),

fiscal as (
    select
        *,
        -- months since the fiscal year started: 0 .. 11
        (calendar_month - {{ start_month }} + 12) % 12 as fiscal_month_index
    from calendar
),

periods as (
    select
        *,
        cast({{ dbt.dateadd('month', '-(fiscal_month_index % 3)', 'month_start') }} as date) as quarter_start,
        cast({{ dbt.dateadd('month', '-fiscal_month_index', 'month_start') }} as date) as fiscal_year_start
    from fiscal
),

final as (
    select
        date_day,
        calendar_year,
        calendar_month,
        day_of_month,
        iso_day_of_week,
        iso_day_of_week >= 6 as is_weekend,
        week_start,
        month_start,
        cast({{ dbt.last_day('month_start', 'month') }} as date) as month_end,
        quarter_start,
        cast({{ dbt.dateadd('day', -1, dbt.dateadd('month', 3, 'quarter_start')) }} as date) as quarter_end,
        fiscal_year_start,
        cast({{ dbt.dateadd('day', -1, dbt.dateadd('month', 12, 'fiscal_year_start')) }} as date) as fiscal_year_end,
        cast(extract(year from {{ dbt.dateadd('month', 11, 'fiscal_year_start') }}) as integer) as fiscal_year,
        cast(floor(fiscal_month_index / 3) as integer) + 1 as fiscal_quarter,
        fiscal_month_index + 1 as fiscal_month,
        cast(floor({{ dbt.datediff('month_start', 'date_day', 'day') }} / 7) as integer) + 1 as week_of_month,
        cast(floor({{ dbt.datediff('quarter_start', 'date_day', 'day') }} / 7) as integer) + 1 as week_of_quarter
    from periods
)

select * from final
