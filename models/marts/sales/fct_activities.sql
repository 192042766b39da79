-- Activity per rep and ISO week (weeks start on Monday, from dim_date): calls and emails
-- (tasks), meetings (events), other activity types, and the rep's open opportunities at the
-- end of the week, so activity can be read against the pipeline it works.
with activities as (
    select * from {{ ref('int_activities_unioned') }}
),

states as (
    select * from {{ ref('int_opportunity_states_dated') }}
),

opportunities as (
    select * from {{ ref('int_opportunities_owned') }}
),

-- Choice: the rep's employee record is the one of the week's last day (a rehire mid-week:
-- the new record), the day the open opportunities are counted.
crm_user_employees as (
    select * from {{ ref('int_crm_user_employees') }}
),

calendar as (
    select * from {{ ref('int_dates_spined') }}
),

weekly_activities as (
    select
        activities.owner_id as crm_user_id,
        calendar.week_start,
        count(case when activities.activity_category = 'call' then 1 end) as calls,
        count(case when activities.activity_category = 'email' then 1 end) as emails,
        count(case when activities.activity_category = 'meeting' then 1 end) as meetings,
        count(case when activities.activity_category = 'other' then 1 end) as other_activities
    from activities
    inner join calendar
        on activities.activity_date = calendar.date_day
    group by activities.owner_id, calendar.week_start
),

-- the weeks to measure open opportunities in: from the first opportunity to the as-of week
-- (or the last week with an activity, when later); a week is measured on its Sunday, or on
-- the as-of day while the week is not over
week_ends as (
    select
        calendar.week_start,
        least(calendar.date_day, {{ as_of_date() }}) as measured_on
    from calendar
    where calendar.iso_day_of_week = 7
        and calendar.date_day >= (select min(created_date) from opportunities)
        and calendar.week_start <= greatest(
            {{ as_of_date() }},
            coalesce((select max(week_start) from weekly_activities), {{ as_of_date() }})
        )
),

-- METRICS.md open pipeline: the state on the day measured (int_opportunity_states_dated: the
-- latest history row at or before it, else the current row; created by then) is open, as in
-- fct_pipeline_snapshot; owned by the opportunity's current owner
weekly_open_opportunities as (
    select
        opportunities.owner_id as crm_user_id,
        week_ends.week_start,
        count(*) as open_opportunities
    from week_ends
    inner join states
        on week_ends.measured_on between states.valid_from and coalesce(states.valid_to, date '9999-12-31')
    inner join opportunities
        on states.opportunity_id = opportunities.opportunity_id
    where states.is_open
    group by opportunities.owner_id, week_ends.week_start
),

rep_weeks as (
    select crm_user_id, week_start from weekly_activities
    union
    select crm_user_id, week_start from weekly_open_opportunities
),

final as (
    select
        rep_weeks.crm_user_id || '|' || cast(rep_weeks.week_start as varchar) as rep_week_key,
        cast(rep_weeks.week_start as date) as week_start,
        rep_weeks.crm_user_id,
        crm_user_employees.employee_id,
        cast(coalesce(weekly_activities.calls, 0) as integer) as calls,
        cast(coalesce(weekly_activities.emails, 0) as integer) as emails,
        cast(coalesce(weekly_activities.meetings, 0) as integer) as meetings,
        cast(coalesce(weekly_activities.other_activities, 0) as integer) as other_activities,
        cast(
            coalesce(weekly_activities.calls, 0) + coalesce(weekly_activities.emails, 0)
            + coalesce(weekly_activities.meetings, 0) + coalesce(weekly_activities.other_activities, 0)
            as integer
        ) as total_activities,
        cast(coalesce(weekly_open_opportunities.open_opportunities, 0) as integer) as open_opportunities,
        cast(
            case
                when weekly_open_opportunities.open_opportunities > 0
                    then (
                        coalesce(weekly_activities.calls, 0) + coalesce(weekly_activities.emails, 0)
                        + coalesce(weekly_activities.meetings, 0)
                        + coalesce(weekly_activities.other_activities, 0)
                    ) * 1.0 / weekly_open_opportunities.open_opportunities
            end as double
        ) as activities_per_open_opportunity
    from rep_weeks
    left join weekly_activities
        on rep_weeks.crm_user_id = weekly_activities.crm_user_id
        and rep_weeks.week_start = weekly_activities.week_start
    left join weekly_open_opportunities
        on rep_weeks.crm_user_id = weekly_open_opportunities.crm_user_id
        and rep_weeks.week_start = weekly_open_opportunities.week_start
    left join crm_user_employees
        on rep_weeks.crm_user_id = crm_user_employees.crm_user_id
        and cast({{ dbt.dateadd('day', 6, 'rep_weeks.week_start') }} as date)
            between crm_user_employees.valid_from and crm_user_employees.valid_to
)

select * from final
