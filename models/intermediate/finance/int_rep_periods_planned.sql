-- One row per rep and plan period (METRICS.md, Commissions): the plan, its terms and the
-- ramp-adjusted quota, all as known at the period's evaluation day (int_plan_periods_closed).
--   * A rep has a plan period of type T (month or quarter) for every period of that type from
--     the start of an assignment to a type-T plan up to the as-of day (so a clawback after the
--     plan ended still has a period to land in).
--   * The plan is the assignment in effect on the period's first day, else the latest one
--     overlapping the period (METRICS.md). Choice: among assignments to plans of the period's
--     type, and, when none overlaps, the latest one started before the period's end.
--   * Ramp-adjusted quota: the sum of the period's months of int_quotas_ramped_known (the one
--     quota rule) as known on the period's evaluation day, so a closed period does not move
--     when a quota, hire date, assignment or ramp row is corrected later.
--   * payout_cap converts at the period start's rate (Choice: as quota does).
with periods as (
    select * from {{ ref('int_plan_periods_closed') }}
),

assignments as (
    select * from {{ ref('int_plan_assignments_known') }}
),

fx_rates as (
    select * from {{ ref('int_fx_rates_known') }}
),

quotas as (
    select * from {{ ref('int_quotas_ramped_known') }}
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
            order by {{ plan_in_effect_order('assignments', 'periods.period_start') }}
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

period_quotas as (
    select
        rep_periods.employee_id,
        rep_periods.period_type,
        rep_periods.period_start,
        {{ money('sum(quotas.full_quota)') }} as full_quota,
        {{ money('sum(quotas.ramp_adjusted_quota)') }} as ramp_adjusted_quota
    from rep_periods
    inner join quotas
        on quotas.evaluated_on = rep_periods.evaluated_on
        and quotas.employee_id = rep_periods.employee_id
        and quotas.month_start >= rep_periods.period_start
        and quotas.month_start <= rep_periods.period_end
    group by rep_periods.employee_id, rep_periods.period_type, rep_periods.period_start
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
