-- Pipeline coverage per rep, period and weekly snapshot (METRICS.md, Pipeline: coverage for a
-- period as of d = open pipeline with close date in the period / (quota of the period -
-- bookings already won in it), when that remainder is positive).
-- Periods: on every snapshot date, the fiscal month and quarter containing it and the next
-- month and quarter. Reps: employees with a ramp-adjusted quota for the period
-- (int_quotas_ramped) who are employed on the snapshot date.
-- Pipeline and bookings are the rep's credit (amount as of d x split_percentage / 100, splits
-- as in int_opportunity_credits), the same credit the quota is measured against.
with weekly_states as (
    select * from {{ ref('int_opportunity_states_weekly') }}
),

snapshot_dates as (
    select * from {{ ref('int_pipeline_snapshot_dates') }}
),

credits as (
    select * from {{ ref('int_opportunity_credits') }}
),

quotas as (
    select * from {{ ref('int_quotas_ramped') }}
),

employees as (
    select * from {{ ref('int_employments') }}
),

-- the month and quarter containing each snapshot date, and the next ones
snapshot_periods as (
    select
        snapshot_date,
        week_end_date,
        is_week_complete,
        'month' as period_type,
        month_start as period_start,
        month_end as period_end,
        true as is_current_period
    from snapshot_dates
    union all
    select
        snapshot_date,
        week_end_date,
        is_week_complete,
        'month' as period_type,
        cast({{ dbt.dateadd('month', 1, 'month_start') }} as date) as period_start,
        cast({{ dbt.last_day(dbt.dateadd('month', 1, 'month_start'), 'month') }} as date) as period_end,
        false as is_current_period
    from snapshot_dates
    union all
    select
        snapshot_date,
        week_end_date,
        is_week_complete,
        'quarter' as period_type,
        quarter_start as period_start,
        quarter_end as period_end,
        true as is_current_period
    from snapshot_dates
    union all
    select
        snapshot_date,
        week_end_date,
        is_week_complete,
        'quarter' as period_type,
        cast({{ dbt.dateadd('month', 3, 'quarter_start') }} as date) as period_start,
        cast({{ dbt.dateadd('day', -1, dbt.dateadd('month', 6, 'quarter_start')) }} as date) as period_end,
        false as is_current_period
    from snapshot_dates
),

period_quotas as (
    select
        employee_id,
        'month' as period_type,
        month_start as period_start,
        {{ money('sum(ramp_adjusted_quota)') }} as quota_amount
    from quotas
    group by employee_id, month_start
    union all
    select
        employee_id,
        'quarter' as period_type,
        quarter_start as period_start,
        {{ money('sum(ramp_adjusted_quota)') }} as quota_amount
    from quotas
    group by employee_id, quarter_start
),

rep_periods as (
    select
        snapshot_periods.*,
        period_quotas.employee_id,
        employees.crm_user_id,
        period_quotas.quota_amount
    from snapshot_periods
    inner join period_quotas
        on snapshot_periods.period_type = period_quotas.period_type
        and snapshot_periods.period_start = period_quotas.period_start
    inner join employees
        on period_quotas.employee_id = employees.employee_id
    where employees.hire_date <= snapshot_periods.snapshot_date
        and (employees.termination_date is null or employees.termination_date >= snapshot_periods.snapshot_date)
),

credited_states as (
    select
        weekly_states.snapshot_date,
        weekly_states.opportunity_id,
        weekly_states.is_open,
        weekly_states.is_won,
        weekly_states.close_date,
        credits.crm_user_id,
        {{ money('weekly_states.amount * credits.split_percentage * 0.01') }} as credited_amount
    from weekly_states
    inner join credits
        on weekly_states.opportunity_id = credits.opportunity_id
    where weekly_states.is_open
        or weekly_states.is_won
),

rep_period_pipeline as (
    select
        rep_periods.snapshot_date,
        rep_periods.employee_id,
        rep_periods.period_type,
        rep_periods.period_start,
        {{ money('coalesce(sum(case when credited_states.is_open then credited_states.credited_amount end), 0)') }} as open_pipeline_amount,
        count(distinct case when credited_states.is_open then credited_states.opportunity_id end) as open_opportunity_count,
        {{ money('coalesce(sum(case when credited_states.is_won then credited_states.credited_amount end), 0)') }} as won_amount
    from rep_periods
    inner join credited_states
        on rep_periods.snapshot_date = credited_states.snapshot_date
        and rep_periods.crm_user_id = credited_states.crm_user_id
        and credited_states.close_date >= rep_periods.period_start
        and credited_states.close_date <= rep_periods.period_end
    group by
        rep_periods.snapshot_date,
        rep_periods.employee_id,
        rep_periods.period_type,
        rep_periods.period_start
),

measured as (
    select
        rep_periods.*,
        coalesce(rep_period_pipeline.open_pipeline_amount, 0) as open_pipeline_amount,
        coalesce(rep_period_pipeline.open_opportunity_count, 0) as open_opportunity_count,
        coalesce(rep_period_pipeline.won_amount, 0) as won_amount,
        rep_periods.quota_amount - coalesce(rep_period_pipeline.won_amount, 0) as remaining_quota_amount
    from rep_periods
    left join rep_period_pipeline
        on rep_periods.snapshot_date = rep_period_pipeline.snapshot_date
        and rep_periods.employee_id = rep_period_pipeline.employee_id
        and rep_periods.period_type = rep_period_pipeline.period_type
        and rep_periods.period_start = rep_period_pipeline.period_start
),

final as (
    select
        snapshot_date,
        week_end_date,
        is_week_complete,
        employee_id,
        crm_user_id,
        period_type,
        period_start,
        period_end,
        is_current_period,
        {{ round_money('quota_amount') }} as quota_amount,
        {{ round_money('won_amount') }} as won_amount,
        {{ round_money('remaining_quota_amount') }} as remaining_quota_amount,
        {{ round_money('open_pipeline_amount') }} as open_pipeline_amount,
        cast(open_opportunity_count as integer) as open_opportunity_count,
        case
            when remaining_quota_amount > 0
                then cast(open_pipeline_amount as double) / cast(remaining_quota_amount as double)
        end as coverage_ratio
    from measured
)

select * from final
