-- Lead funnel per cohort (month of the lead's created_date) and lead source (METRICS.md,
-- Funnel): leads created -> MQL -> SQL -> converted -> converted opportunity won; speed to
-- lead = hours from the lead's created_date to the first task or event on it (who_id).
with leads as (
    select * from {{ ref('stg_crm__leads') }}
),

opportunities as (
    select * from {{ ref('int_opportunities_owned') }}
),

activities as (
    select * from {{ ref('int_activities_unioned') }}
),

calendar as (
    select * from {{ ref('int_dates_spined') }}
),

-- the first time a rep acted on each lead: a task when it was logged, an event when it was
-- booked (or held, if that came first); traces dated before the lead existed are ignored
first_touches as (
    select
        leads.lead_id,
        min(least(activities.activity_at, activities.created_at)) as first_touched_at
    from leads
    inner join activities
        on leads.lead_id = activities.who_id
        and least(activities.activity_at, activities.created_at) >= leads.created_at
    group by leads.lead_id
),

-- a lead at a later step has passed the earlier ones (as a skipped opportunity stage counts
-- as passed), so the counts never increase along the funnel
lead_steps as (
    select
        leads.lead_id,
        calendar.month_start as cohort_month,
        coalesce(leads.lead_source, 'unknown') as lead_source,
        coalesce(leads.is_converted, false) and coalesce(opportunities.is_won, false) as is_won,
        coalesce(leads.is_converted, false) as is_converted,
        leads.sql_at is not null or coalesce(leads.is_converted, false) as is_sql,
        leads.mql_at is not null or leads.sql_at is not null or coalesce(leads.is_converted, false)
            as is_mql,
        {{ dbt.datediff('leads.created_at', 'first_touches.first_touched_at', 'second') }} / 3600.0
            as speed_to_lead_hours
    from leads
    inner join calendar
        on cast(leads.created_at as date) = calendar.date_day
    left join opportunities
        on leads.converted_opportunity_id = opportunities.opportunity_id
    left join first_touches
        on leads.lead_id = first_touches.lead_id
),

final as (
    select
        cast(cohort_month as date) as cohort_month,
        lead_source,
        cast(count(*) as integer) as leads,
        cast(count(case when is_mql then 1 end) as integer) as mqls,
        cast(count(case when is_sql then 1 end) as integer) as sqls,
        cast(count(case when is_converted then 1 end) as integer) as converted,
        cast(count(case when is_won then 1 end) as integer) as won,
        cast(count(speed_to_lead_hours) as integer) as touched_leads,
        cast(
            percentile_cont(0.5) within group (order by speed_to_lead_hours) as double
        ) as speed_to_lead_hours_median
    from lead_steps
    group by cohort_month, lead_source
)

select * from final
