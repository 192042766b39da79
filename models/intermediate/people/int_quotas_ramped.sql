-- Ramp-adjusted quota per employee and fiscal month (METRICS.md, Quota attainment). The one
-- place quota ramping is computed: fct_quota_attainment sums it to months and quarters, and
-- the commission work reuses it for plan periods.
--   * a monthly quota row counts in full toward its month; a quarterly row counts one third
--     (unrounded) toward each of its three months; rows for the same month add up;
--   * quota rows for periods starting after the termination date are ignored;
--   * tenure month = 1 for the calendar month of hire_date, 2 for the next, ... (a promotion
--     does not restart it);
--   * the plan is the assignment in effect on the month's first day, else the latest one
--     overlapping the month; quota_share comes from that plan's ramp_schedule row for the
--     tenure month, 1 past (or outside) the schedule, 0 before the hire month.
with quotas as (
    select * from {{ ref('stg_comp__quotas') }}
),

employees as (
    select * from {{ ref('stg_hr__employees') }}
),

plan_assignments as (
    select * from {{ ref('stg_comp__plan_assignments') }}
),

ramp_schedules as (
    select * from {{ ref('stg_comp__ramp_schedules') }}
),

calendar_months as (
    select distinct
        month_start,
        month_end,
        quarter_start
    from {{ ref('int_dates_spined') }}
),

live_quotas as (
    select
        quotas.employee_id,
        quotas.period_type,
        cast({{ dbt.date_trunc('month', 'quotas.period_start') }} as date) as period_start,
        quotas.quota_amount
    from quotas
    left join employees
        on quotas.employee_id = employees.employee_id
    where quotas.quota_amount is not null
        and (employees.termination_date is null or quotas.period_start <= employees.termination_date)
),

quota_months as (
    -- `/ 3` would give a DOUBLE: a third is taken as x * 0.333.. (19 digits), rounded to
    -- 10 places by money(), exact to 1e-10.
    select
        live_quotas.employee_id,
        calendar_months.month_start,
        case when live_quotas.period_type = 'month' then live_quotas.quota_amount end as monthly_amount,
        case
            when live_quotas.period_type = 'quarter'
                then {{ money('live_quotas.quota_amount * 0.3333333333333333333') }}
        end as quarterly_third_amount
    from live_quotas
    inner join calendar_months
        on calendar_months.month_start >= live_quotas.period_start
        and calendar_months.month_start < cast(
            {{ dbt.dateadd('month', "case when live_quotas.period_type = 'quarter' then 3 else 1 end", 'live_quotas.period_start') }}
            as date
        )
),

monthly_quotas as (
    select
        employee_id,
        month_start,
        {{ money('coalesce(sum(monthly_amount), 0)') }} as monthly_quota,
        {{ money('coalesce(sum(quarterly_third_amount), 0)') }} as quarterly_quota_third,
        {{ money('coalesce(sum(monthly_amount), 0) + coalesce(sum(quarterly_third_amount), 0)') }} as full_quota
    from quota_months
    group by employee_id, month_start
),

tenure as (
    select
        monthly_quotas.*,
        calendar_months.month_end,
        calendar_months.quarter_start,
        employees.hire_date,
        employees.termination_date,
        cast(
            {{ dbt.datediff(dbt.date_trunc('month', 'employees.hire_date'), 'monthly_quotas.month_start', 'month') }}
            as integer
        ) + 1 as tenure_month
    from monthly_quotas
    inner join calendar_months
        on monthly_quotas.month_start = calendar_months.month_start
    left join employees
        on monthly_quotas.employee_id = employees.employee_id
),

month_plans as (
    select
        tenure.employee_id,
        tenure.month_start,
        plan_assignments.plan_id,
        row_number() over (
            partition by tenure.employee_id, tenure.month_start
            order by
                case
                    when plan_assignments.effective_from <= tenure.month_start
                        and coalesce(plan_assignments.effective_to, date '9999-12-31') >= tenure.month_start
                        then 0
                    else 1
                end,
                plan_assignments.effective_from desc
        ) as plan_rank
    from tenure
    inner join plan_assignments
        on tenure.employee_id = plan_assignments.employee_id
        and plan_assignments.effective_from <= tenure.month_end
        and coalesce(plan_assignments.effective_to, date '9999-12-31') >= tenure.month_start
),

ramped as (
    select
        tenure.*,
        month_plans.plan_id,
        case
            when tenure.tenure_month < 1 then {{ money(0) }}
            else {{ money('coalesce(ramp_schedules.quota_share, 1)') }}
        end as quota_share
    from tenure
    left join month_plans
        on tenure.employee_id = month_plans.employee_id
        and tenure.month_start = month_plans.month_start
        and month_plans.plan_rank = 1
    left join ramp_schedules
        on month_plans.plan_id = ramp_schedules.plan_id
        and tenure.tenure_month = ramp_schedules.tenure_month
),

final as (
    select
        employee_id,
        month_start,
        month_end,
        quarter_start,
        hire_date,
        termination_date,
        tenure_month,
        plan_id,
        monthly_quota,
        quarterly_quota_third,
        full_quota,
        quota_share,
        {{ money('full_quota * quota_share') }} as ramp_adjusted_quota
    from ramped
)

select * from final
