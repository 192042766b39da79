-- One row per rep and fiscal month or quarter: the KPIs a sales leader reviews together
-- (METRICS.md: win rate, average deal size, cycle length, attainment, pipeline, activity).
-- Deal counts and amounts are by opportunity owner; bookings and attainment are the credited
-- (split) figures of fct_quota_attainment, so the two marts always agree.
with opportunities as (
    select * from {{ ref('int_opportunities_owned') }}
),

-- the employee a CRM user is on each day (a rehired rep's deals, activities and pipeline
-- land on the employee record of their date)
crm_user_employees as (
    select * from {{ ref('int_crm_user_employees') }}
),

-- a day's two periods: its fiscal month and its fiscal quarter
day_periods as (
    select * from {{ ref('int_fiscal_periods') }}
),

attainment as (
    select * from {{ ref('fct_quota_attainment') }}
    where level = 'rep'
),

states as (
    select * from {{ ref('int_opportunity_states_dated') }}
),

activities as (
    select * from {{ ref('int_activities_unioned') }}
),

closed_deals as (
    select
        opportunities.owner_employee_id as employee_id,
        day_periods.period_type,
        day_periods.period_start,
        opportunities.is_won,
        opportunities.amount,
        {{ dbt.datediff('opportunities.created_date', 'opportunities.close_date', 'day') }} as cycle_days
    from opportunities
    inner join day_periods
        on opportunities.close_date = day_periods.date_day
    where opportunities.is_closed
        and opportunities.owner_employee_id is not null
        and opportunities.close_date <= {{ as_of_date() }}
),

deal_measures as (
    select
        employee_id,
        period_type,
        period_start,
        count(case when is_won then 1 end) as won_count,
        count(case when not is_won then 1 end) as lost_count,
        sum(case when is_won then amount end) as won_amount,
        sum(case when not is_won then amount end) as lost_amount,
        median(case when is_won then cycle_days end) as median_sales_cycle_days
    from closed_deals
    group by employee_id, period_type, period_start
),

logged_activities as (
    select
        crm_user_employees.employee_id,
        day_periods.period_type,
        day_periods.period_start,
        count(*) as activities
    from activities
    inner join crm_user_employees
        on activities.owner_id = crm_user_employees.crm_user_id
        and activities.activity_date between crm_user_employees.valid_from and crm_user_employees.valid_to
    inner join day_periods
        on activities.activity_date = day_periods.date_day
    where activities.activity_date <= {{ as_of_date() }}
    group by crm_user_employees.employee_id, day_periods.period_type, day_periods.period_start
),

-- every rep and period with a quota, a closed deal or an activity
rep_periods as (
    select employee_id, period_type, period_start from attainment
    union
    select employee_id, period_type, period_start from deal_measures
    union
    select employee_id, period_type, period_start from logged_activities
),

periods as (
    select distinct period_type, period_start, period_end from day_periods
),

-- open pipeline owned at the end of the period (the as-of day while it is running)
measured_on as (
    select
        rep_periods.employee_id,
        rep_periods.period_type,
        rep_periods.period_start,
        periods.period_end,
        least(periods.period_end, {{ as_of_date() }}) as measured_on
    from rep_periods
    inner join periods
        on rep_periods.period_type = periods.period_type
        and rep_periods.period_start = periods.period_start
    where rep_periods.period_start <= {{ as_of_date() }}
),

open_pipeline as (
    select
        measured_on.employee_id,
        measured_on.period_type,
        measured_on.period_start,
        sum(states.amount) as open_pipeline_amount
    from measured_on
    inner join crm_user_employees
        on measured_on.employee_id = crm_user_employees.employee_id
        and measured_on.measured_on between crm_user_employees.valid_from and crm_user_employees.valid_to
    inner join states
        on states.owner_id = crm_user_employees.crm_user_id
        and states.valid_from <= measured_on.measured_on
        and coalesce(states.valid_to, date '9999-12-31') >= measured_on.measured_on
    where states.is_open
    group by measured_on.employee_id, measured_on.period_type, measured_on.period_start
),

final as (
    select
        measured_on.employee_id,
        crm_user_employees.crm_user_id,
        measured_on.period_type,
        measured_on.period_start,
        measured_on.period_end,
        measured_on.period_end <= {{ as_of_date() }} as is_period_complete,
        attainment.team,
        attainment.role,
        cast(coalesce(deal_measures.won_count, 0) as integer) as won_count,
        cast(coalesce(deal_measures.lost_count, 0) as integer) as lost_count,
        cast(
            deal_measures.won_count / nullif(deal_measures.won_count + deal_measures.lost_count, 0)
            as double
        ) as win_rate,
        cast(
            coalesce(deal_measures.won_amount, 0)
            / nullif(coalesce(deal_measures.won_amount, 0) + coalesce(deal_measures.lost_amount, 0), 0)
            as double
        ) as win_rate_amount,
        {{ round_money('deal_measures.won_amount / nullif(deal_measures.won_count, 0)') }} as avg_deal_size,
        cast(deal_measures.median_sales_cycle_days as double) as median_sales_cycle_days,
        attainment.credited_bookings,
        attainment.ramp_adjusted_quota,
        attainment.attainment,
        {{ round_money('coalesce(open_pipeline.open_pipeline_amount, 0)') }} as open_pipeline_amount,
        cast(coalesce(logged_activities.activities, 0) as integer) as activities
    from measured_on
    left join crm_user_employees
        on measured_on.employee_id = crm_user_employees.employee_id
    left join attainment
        on measured_on.employee_id = attainment.employee_id
        and measured_on.period_type = attainment.period_type
        and measured_on.period_start = attainment.period_start
    left join deal_measures
        on measured_on.employee_id = deal_measures.employee_id
        and measured_on.period_type = deal_measures.period_type
        and measured_on.period_start = deal_measures.period_start
    left join logged_activities
        on measured_on.employee_id = logged_activities.employee_id
        and measured_on.period_type = logged_activities.period_type
        and measured_on.period_start = logged_activities.period_start
    left join open_pipeline
        on measured_on.employee_id = open_pipeline.employee_id
        and measured_on.period_type = open_pipeline.period_type
        and measured_on.period_start = open_pipeline.period_start
)

select * from final
