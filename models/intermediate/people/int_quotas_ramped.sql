-- Ramp-adjusted quota per employee and fiscal month as the warehouse knows it on the as-of
-- day: the as-of day's rows of int_quotas_ramped_known, which owns the rule (METRICS.md,
-- Quota attainment). fct_quota_attainment and fct_pipeline_coverage read it; the commission
-- work reads the same model as known on each plan period's evaluation day.
with quotas_known as (
    select * from {{ ref('int_quotas_ramped_known') }}
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
        ramp_adjusted_quota
    from quotas_known
    where evaluated_on = {{ as_of_date() }}
)

select * from final
