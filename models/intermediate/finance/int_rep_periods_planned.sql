-- One row per rep and plan period (METRICS.md, Commissions): the plan, its terms and the
-- ramp-adjusted quota, all as known at the period's evaluation day (int_plan_periods_closed).
--   * A rep has a plan period of type T (month or quarter) for every period of that type from
--     the start of an assignment to a type-T plan up to the as-of day (so a clawback after the
--     plan ended still has a period to land in).
--   * The plan is the assignment in effect on the period's first day, else the latest one
--     overlapping the period (METRICS.md). Choice: among assignments to plans of the period's
--     type, and, when none overlaps, the latest one started before the period's end.
--   * Ramp-adjusted quota: int_quotas_ramped's arithmetic (METRICS.md, Quota attainment),
--     repeated here on the comp and HR rows known at the evaluation day, because a closed
--     period must not move when a quota, hire date or assignment is corrected later. A
--     quarter's quota is the sum of its months'; a monthly quota row counts in full toward
--     its month, a quarterly one a third (unrounded: to 1e-10) toward each of its months; rows
--     for periods starting after the termination date are ignored; each month's share is the
--     ramp_schedule row of the plan in effect on the month's first day (else the latest one
--     overlapping it) for the tenure month (1 = the hire month), 1 past the schedule, 0 before
--     the hire month. Quota rows convert at their period start's rate (as known then).
--   * payout_cap converts at the period start's rate (Choice: as quota does).
with periods as (
    select * from {{ ref('int_plan_periods_closed') }}
),

assignments as (
    select * from {{ ref('int_plan_assignments_known') }}
),

employees as (
    select * from {{ ref('int_employees_known') }}
),

quota_versions as (
    select * from {{ ref('stg_comp__quota_versions') }}
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
        month_end
    from {{ ref('int_dates_spined') }}
),

period_plans as (
    select
        periods.period_type,
        periods.period_start,
        periods.period_end,
        periods.closes_on,
        periods.is_closed,
        periods.evaluated_on,
        periods.known_before,
        assignments.employee_id,
        assignments.plan_id,
        assignments.plan_currency,
        assignments.clawback_days,
        assignments.payout_cap_local,
        row_number() over (
            partition by assignments.employee_id, periods.period_type, periods.period_start
            order by
                case
                    when assignments.effective_from <= periods.period_start
                        and coalesce(assignments.effective_to, date '9999-12-31') >= periods.period_start
                        then 0
                    when coalesce(assignments.effective_to, date '9999-12-31') >= periods.period_start then 1
                    else 2
                end,
                assignments.effective_from desc
        ) as plan_rank
    from periods
    inner join assignments
        on assignments.evaluated_on = periods.evaluated_on
        and assignments.period_type = periods.period_type
        and assignments.effective_from <= periods.period_end
),

rep_periods as (
    select * from period_plans where plan_rank = 1
),

period_months as (
    select
        rep_periods.employee_id,
        rep_periods.period_type,
        rep_periods.period_start,
        rep_periods.evaluated_on,
        rep_periods.known_before,
        calendar_months.month_start,
        calendar_months.month_end
    from rep_periods
    inner join calendar_months
        on calendar_months.month_start >= rep_periods.period_start
        and calendar_months.month_start <= rep_periods.period_end
),

known_quotas as (
    select
        period_months.employee_id,
        period_months.period_type,
        period_months.period_start,
        period_months.evaluated_on,
        period_months.known_before,
        period_months.month_start,
        quota_versions.period_type as quota_period_type,
        {{ convert_at_rate('quota_versions.quota_amount_local', 'quota_versions.currency', 'fx_rates.rate_to_reporting') }} as quota_amount
    from period_months
    inner join quota_versions
        on quota_versions.employee_id = period_months.employee_id
        and {{ known_at('quota_versions', 'period_months.known_before') }}
        and period_months.month_start >= cast({{ dbt.date_trunc('month', 'quota_versions.period_start') }} as date)
        and period_months.month_start < cast(
            {{ dbt.dateadd('month', "case when quota_versions.period_type = 'quarter' then 3 else 1 end", dbt.date_trunc('month', 'quota_versions.period_start')) }}
            as date
        )
    left join employees
        on employees.evaluated_on = period_months.evaluated_on
        and employees.employee_id = period_months.employee_id
    left join fx_rates
        on fx_rates.evaluated_on = period_months.evaluated_on
        and fx_rates.currency = quota_versions.currency
        and fx_rates.rate_date <= quota_versions.period_start
        and (fx_rates.next_rate_date is null or fx_rates.next_rate_date > quota_versions.period_start)
    where not quota_versions.is_deleted
        and quota_versions.quota_amount_local is not null
        and (employees.termination_date is null or quota_versions.period_start <= employees.termination_date)
),

quota_parts as (
    -- `/ 3` would give a DOUBLE: a third is x * 0.333.. (19 digits), rounded to 10 places by
    -- money(), as in int_quotas_ramped.
    select
        *,
        case when quota_period_type = 'month' then quota_amount end as monthly_amount,
        case
            when quota_period_type = 'quarter' then {{ money('quota_amount * 0.3333333333333333333') }}
        end as quarterly_third_amount
    from known_quotas
),

month_quotas as (
    select
        employee_id,
        period_type,
        period_start,
        evaluated_on,
        known_before,
        month_start,
        {{ money('coalesce(sum(monthly_amount), 0) + coalesce(sum(quarterly_third_amount), 0)') }} as full_quota
    from quota_parts
    group by employee_id, period_type, period_start, evaluated_on, known_before, month_start
),

month_tenures as (
    select
        month_quotas.*,
        cast(
            {{ dbt.datediff(dbt.date_trunc('month', 'employees.hire_date'), 'month_quotas.month_start', 'month') }}
            as integer
        ) + 1 as tenure_month
    from month_quotas
    left join employees
        on employees.evaluated_on = month_quotas.evaluated_on
        and employees.employee_id = month_quotas.employee_id
),

month_ramp_plans as (
    select
        month_tenures.employee_id,
        month_tenures.period_type,
        month_tenures.period_start,
        month_tenures.month_start,
        assignments.plan_id,
        row_number() over (
            partition by month_tenures.employee_id, month_tenures.period_type, month_tenures.period_start, month_tenures.month_start
            order by
                case
                    when assignments.effective_from <= month_tenures.month_start
                        and coalesce(assignments.effective_to, date '9999-12-31') >= month_tenures.month_start
                        then 0
                    else 1
                end,
                assignments.effective_from desc
        ) as plan_rank
    from month_tenures
    inner join calendar_months
        on month_tenures.month_start = calendar_months.month_start
    inner join assignments
        on assignments.evaluated_on = month_tenures.evaluated_on
        and assignments.employee_id = month_tenures.employee_id
        and assignments.effective_from <= calendar_months.month_end
        and coalesce(assignments.effective_to, date '9999-12-31') >= month_tenures.month_start
),

month_ramps as (
    select
        month_tenures.*,
        case
            when month_tenures.tenure_month < 1 then {{ money(0) }}
            else {{ money('coalesce(ramp_versions.quota_share, 1)') }}
        end as quota_share,
        case
            when month_tenures.tenure_month < 1 then {{ money(0) }}
            else {{ money('month_tenures.full_quota * coalesce(ramp_versions.quota_share, 1)') }}
        end as month_ramp_adjusted_quota
    from month_tenures
    left join month_ramp_plans
        on month_tenures.employee_id = month_ramp_plans.employee_id
        and month_tenures.period_type = month_ramp_plans.period_type
        and month_tenures.period_start = month_ramp_plans.period_start
        and month_tenures.month_start = month_ramp_plans.month_start
        and month_ramp_plans.plan_rank = 1
    left join ramp_versions
        on ramp_versions.plan_id = month_ramp_plans.plan_id
        and ramp_versions.tenure_month = month_tenures.tenure_month
        and not ramp_versions.is_deleted
        and {{ known_at('ramp_versions', 'month_tenures.known_before') }}
),

period_quotas as (
    select
        employee_id,
        period_type,
        period_start,
        {{ money('sum(full_quota)') }} as full_quota,
        {{ money('sum(month_ramp_adjusted_quota)') }} as ramp_adjusted_quota
    from month_ramps
    group by employee_id, period_type, period_start
),

final as (
    select
        rep_periods.employee_id,
        rep_periods.period_type,
        rep_periods.period_start,
        rep_periods.period_end,
        rep_periods.closes_on,
        rep_periods.is_closed,
        rep_periods.evaluated_on,
        rep_periods.known_before,
        rep_periods.plan_id,
        rep_periods.plan_currency,
        rep_periods.clawback_days,
        rep_periods.payout_cap_local,
        {{ convert_at_rate('rep_periods.payout_cap_local', 'rep_periods.plan_currency', 'fx_rates.rate_to_reporting') }} as payout_cap,
        coalesce(period_quotas.full_quota, {{ money(0) }}) as full_quota,
        coalesce(period_quotas.ramp_adjusted_quota, {{ money(0) }}) as ramp_adjusted_quota
    from rep_periods
    left join period_quotas
        on rep_periods.employee_id = period_quotas.employee_id
        and rep_periods.period_type = period_quotas.period_type
        and rep_periods.period_start = period_quotas.period_start
    left join fx_rates
        on fx_rates.evaluated_on = rep_periods.evaluated_on
        and fx_rates.currency = rep_periods.plan_currency
        and fx_rates.rate_date <= rep_periods.period_start
        and (fx_rates.next_rate_date is null or fx_rates.next_rate_date > rep_periods.period_start)
)

select * from final
