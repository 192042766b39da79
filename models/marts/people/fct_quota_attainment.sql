-- Quota attainment per rep, team and company, by fiscal month and quarter (METRICS.md, Quota
-- attainment). Rep rows: ramp-adjusted quota from int_quotas_ramped, credited bookings from
-- int_opportunity_credits (won, close date in the period). Roll-ups: sum of bookings / sum of
-- quotas; share at quota = reps with attainment >= 1 / reps with a quota. Computation is
-- unrounded; money is rounded to cents only in the final select.
with ramped_quotas as (
    select * from {{ ref('int_quotas_ramped') }}
),

credits as (
    select * from {{ ref('int_opportunity_credits') }}
),

employees as (
    select * from {{ ref('int_employments') }}
),

job_spans as (
    select * from {{ ref('int_employee_jobs_spanned') }}
),

fiscal_periods as (
    select * from {{ ref('int_fiscal_periods') }}
),

periods as (
    -- Periods that have started by the as-of day.
    select distinct
        period_type,
        period_start,
        period_end
    from fiscal_periods
    where period_start <= {{ as_of_date() }}
),

quota_periods as (
    select
        employee_id,
        'month' as period_type,
        month_start as period_start,
        sum(full_quota) as full_quota,
        sum(ramp_adjusted_quota) as ramp_adjusted_quota
    from ramped_quotas
    group by employee_id, month_start
    union all
    select
        employee_id,
        'quarter' as period_type,
        quarter_start as period_start,
        sum(full_quota) as full_quota,
        sum(ramp_adjusted_quota) as ramp_adjusted_quota
    from ramped_quotas
    group by employee_id, quarter_start
),

booking_periods as (
    select
        credits.employee_id,
        fiscal_periods.period_type,
        fiscal_periods.period_start,
        sum(credits.credited_amount) as credited_bookings
    from credits
    inner join fiscal_periods
        on credits.close_date = fiscal_periods.date_day
    where credits.is_won
        and credits.employee_id is not null
    group by credits.employee_id, fiscal_periods.period_type, fiscal_periods.period_start
),

rep_periods as (
    select
        coalesce(quota_periods.employee_id, booking_periods.employee_id) as employee_id,
        periods.period_type,
        periods.period_start,
        periods.period_end,
        coalesce(quota_periods.full_quota, 0) as full_quota,
        coalesce(quota_periods.ramp_adjusted_quota, 0) as ramp_adjusted_quota,
        coalesce(booking_periods.credited_bookings, 0) as credited_bookings
    from quota_periods
    full outer join booking_periods
        on quota_periods.employee_id = booking_periods.employee_id
        and quota_periods.period_type = booking_periods.period_type
        and quota_periods.period_start = booking_periods.period_start
    inner join periods
        on periods.period_type = coalesce(quota_periods.period_type, booking_periods.period_type)
        and periods.period_start = coalesce(quota_periods.period_start, booking_periods.period_start)
),

rep_reference_days as (
    -- The job that places a rep in a team: the one held on the last day worked in the
    -- period (the period's last day, or the termination date when earlier); for a rep hired
    -- after the period (bookings credited before the hire date), the job at hire.
    select
        rep_periods.*,
        employees.crm_user_id,
        employees.hire_date,
        greatest(
            least(rep_periods.period_end, coalesce(employees.termination_date, rep_periods.period_end)),
            employees.hire_date
        ) as team_reference_day
    from rep_periods
    left join employees
        on rep_periods.employee_id = employees.employee_id
),

reps as (
    select
        rep_reference_days.*,
        job_spans.team,
        job_spans.role,
        job_spans.manager_employee_id,
        cast(
            {{ dbt.datediff(dbt.date_trunc('month', 'rep_reference_days.hire_date'), 'rep_reference_days.period_start', 'month') }}
            as integer
        ) + 1 as tenure_month,
        case
            when rep_reference_days.ramp_adjusted_quota > 0
                then rep_reference_days.credited_bookings >= rep_reference_days.ramp_adjusted_quota
        end as is_at_quota
    from rep_reference_days
    left join job_spans
        on rep_reference_days.employee_id = job_spans.employee_id
        and rep_reference_days.team_reference_day >= job_spans.span_start
        and rep_reference_days.team_reference_day <= coalesce(job_spans.span_end, date '9999-12-31')
),

rep_rows as (
    select
        'rep' as level,
        employee_id as group_key,
        period_type,
        period_start,
        period_end,
        employee_id,
        crm_user_id,
        team,
        role,
        manager_employee_id,
        tenure_month,
        full_quota,
        ramp_adjusted_quota,
        credited_bookings,
        is_at_quota,
        cast(null as integer) as rep_count,
        cast(null as integer) as reps_with_quota,
        cast(null as integer) as reps_at_quota
    from reps
),

team_rows as (
    select
        'team' as level,
        coalesce(team, 'unassigned') as group_key,
        period_type,
        period_start,
        period_end,
        cast(null as varchar) as employee_id,
        cast(null as varchar) as crm_user_id,
        team,
        cast(null as varchar) as role,
        cast(null as varchar) as manager_employee_id,
        cast(null as integer) as tenure_month,
        sum(full_quota) as full_quota,
        sum(ramp_adjusted_quota) as ramp_adjusted_quota,
        sum(credited_bookings) as credited_bookings,
        cast(null as boolean) as is_at_quota,
        cast(count(*) as integer) as rep_count,
        cast(count(case when ramp_adjusted_quota > 0 then 1 end) as integer) as reps_with_quota,
        cast(count(case when is_at_quota then 1 end) as integer) as reps_at_quota
    from reps
    group by coalesce(team, 'unassigned'), team, period_type, period_start, period_end
),

company_rows as (
    select
        'company' as level,
        'company' as group_key,
        period_type,
        period_start,
        period_end,
        cast(null as varchar) as employee_id,
        cast(null as varchar) as crm_user_id,
        cast(null as varchar) as team,
        cast(null as varchar) as role,
        cast(null as varchar) as manager_employee_id,
        cast(null as integer) as tenure_month,
        sum(full_quota) as full_quota,
        sum(ramp_adjusted_quota) as ramp_adjusted_quota,
        sum(credited_bookings) as credited_bookings,
        cast(null as boolean) as is_at_quota,
        cast(count(*) as integer) as rep_count,
        cast(count(case when ramp_adjusted_quota > 0 then 1 end) as integer) as reps_with_quota,
        cast(count(case when is_at_quota then 1 end) as integer) as reps_at_quota
    from reps
    group by period_type, period_start, period_end
),

all_rows as (
    select * from rep_rows
    union all
    select * from team_rows
    union all
    select * from company_rows
),

final as (
    select
        cast(level as varchar) as level,
        cast(group_key as varchar) as group_key,
        cast(period_type as varchar) as period_type,
        cast(period_start as date) as period_start,
        cast(period_end as date) as period_end,
        period_end <= {{ as_of_date() }} as is_period_complete,
        employee_id,
        crm_user_id,
        team,
        role,
        manager_employee_id,
        tenure_month,
        {{ round_money('full_quota') }} as full_quota,
        {{ round_money('ramp_adjusted_quota') }} as ramp_adjusted_quota,
        {{ round_money('credited_bookings') }} as credited_bookings,
        case
            when ramp_adjusted_quota > 0
                then cast(credited_bookings as double) / cast(ramp_adjusted_quota as double)
        end as attainment,
        is_at_quota,
        rep_count,
        reps_with_quota,
        reps_at_quota,
        case
            when reps_with_quota > 0 then cast(reps_at_quota as double) / cast(reps_with_quota as double)
        end as share_at_quota
    from all_rows
)

select * from final
