-- Ramp-adjusted quota per employee and fiscal month as known on every evaluation day K
-- (int_evaluation_days; METRICS.md, Quota attainment). The one place quota ramping is
-- computed: int_quotas_ramped is its rows as known on the as-of day (attainment, coverage),
-- int_rep_periods_planned sums a plan period's months as known on the period's evaluation day
-- (commissions), so a closed period never moves when a quota, hire date, assignment or ramp
-- row is corrected later.
--   * a monthly quota row counts in full toward its month; a quarterly row counts one third
--     (unrounded) toward each of its three months; rows for the same month add up;
--   * quota rows for periods starting after the termination date are ignored;
--   * tenure month = 1 for the calendar month of hire_date, 2 for the next, ... (a promotion
--     does not restart it; a rehire is a new employee record, so it does);
--   * the plan is the assignment in effect on the month's first day, else the latest one
--     overlapping the month; quota_share comes from that plan's ramp_schedule row for the
--     tenure month, 1 past (or outside) the schedule, 0 before the hire month;
--   * quota rows convert to the reporting currency at their period start's rate.
with evaluation_days as (
    select * from {{ ref('int_evaluation_days') }}
),

quota_versions as (
    select * from {{ ref('stg_comp__quota_versions') }}
),

employees as (
    select * from {{ ref('int_employees_known') }}
),

assignments as (
    select * from {{ ref('int_plan_assignments_known') }}
),

ramp_versions as (
    select * from {{ ref('stg_comp__ramp_schedule_versions') }}
),

fx_rates as (
    select * from {{ ref('int_fx_rates_known') }}
),

calendar_months as (
    select distinct
        month_start,
        month_end,
        quarter_start
    from {{ ref('int_dates_spined') }}
),

known_quotas as (
    select
        evaluation_days.evaluated_on,
        evaluation_days.known_before,
        quota_versions.employee_id,
        quota_versions.period_type,
        cast({{ dbt.date_trunc('month', 'quota_versions.period_start') }} as date) as period_start,
        {{ convert_at_rate('quota_versions.quota_amount_local', 'quota_versions.currency', 'fx_rates.rate_to_reporting') }} as quota_amount
    from evaluation_days
    inner join quota_versions
        on {{ known_at('quota_versions', 'evaluation_days.known_before') }}
    left join employees
        on employees.evaluated_on = evaluation_days.evaluated_on
        and employees.employee_id = quota_versions.employee_id
    left join fx_rates
        on fx_rates.evaluated_on = evaluation_days.evaluated_on
        and fx_rates.currency = quota_versions.currency
        and fx_rates.rate_date <= quota_versions.period_start
        and (fx_rates.next_rate_date is null or fx_rates.next_rate_date > quota_versions.period_start)
    where not quota_versions.is_deleted
        and (employees.termination_date is null or quota_versions.period_start <= employees.termination_date)
),

quota_months as (
    -- `/ 3` would give a DOUBLE: a third is taken as x * 0.333.. (19 digits), rounded to
    -- 10 places by money(), exact to 1e-10.
    select
        known_quotas.evaluated_on,
        known_quotas.known_before,
        known_quotas.employee_id,
        calendar_months.month_start,
        case when known_quotas.period_type = 'month' then known_quotas.quota_amount end as monthly_amount,
        case
            when known_quotas.period_type = 'quarter'
                then {{ money('known_quotas.quota_amount * 0.3333333333333333333') }}
        end as quarterly_third_amount
    from known_quotas
    inner join calendar_months
        on calendar_months.month_start >= known_quotas.period_start
        and calendar_months.month_start < cast(
            {{ dbt.dateadd('month', "case when known_quotas.period_type = 'quarter' then 3 else 1 end", 'known_quotas.period_start') }}
            as date
        )
    where known_quotas.quota_amount is not null
),

monthly_quotas as (
    select
        evaluated_on,
        known_before,
        employee_id,
        month_start,
        {{ money('coalesce(sum(monthly_amount), 0)') }} as monthly_quota,
        {{ money('coalesce(sum(quarterly_third_amount), 0)') }} as quarterly_quota_third,
        {{ money('coalesce(sum(monthly_amount), 0) + coalesce(sum(quarterly_third_amount), 0)') }} as full_quota
    from quota_months
    group by evaluated_on, known_before, employee_id, month_start
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
        on monthly_quotas.evaluated_on = employees.evaluated_on
        and monthly_quotas.employee_id = employees.employee_id
),

month_plans as (
    select
        tenure.evaluated_on,
        tenure.employee_id,
        tenure.month_start,
        assignments.plan_id,
        row_number() over (
            partition by tenure.evaluated_on, tenure.employee_id, tenure.month_start
            order by {{ plan_in_effect_order('assignments', 'tenure.month_start') }}
        ) as plan_rank
    from tenure
    inner join assignments
        on tenure.evaluated_on = assignments.evaluated_on
        and tenure.employee_id = assignments.employee_id
        and assignments.effective_from <= tenure.month_end
        and coalesce(assignments.effective_to, date '9999-12-31') >= tenure.month_start
),

ramped as (
    select
        tenure.*,
        month_plans.plan_id,
        case
            when tenure.tenure_month < 1 then {{ money(0) }}
            else {{ money('coalesce(ramp_versions.quota_share, 1)') }}
        end as quota_share
    from tenure
    left join month_plans
        on tenure.evaluated_on = month_plans.evaluated_on
        and tenure.employee_id = month_plans.employee_id
        and tenure.month_start = month_plans.month_start
        and month_plans.plan_rank = 1
    left join ramp_versions
        on month_plans.plan_id = ramp_versions.plan_id
        and tenure.tenure_month = ramp_versions.tenure_month
        and not ramp_versions.is_deleted
        and {{ known_at('ramp_versions', 'tenure.known_before') }}
),

final as (
    select
        evaluated_on,
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
