-- Whose credited bookings a forecast covers (METRICS.md, Forecast accuracy): for every
-- forecaster f (a CRM user who submitted a forecast for period p on or before p's last day),
-- f's own CRM user, plus, when f manages people, every employee below f in the HR management
-- tree on p's last day, and those who left during p (termination_date, the last day worked,
-- inside p) while below f on their last day. One row per (forecaster, period, member).
with submissions as (
    select * from {{ ref('stg_crm__forecast_submissions') }}
),

employees as (
    select * from {{ ref('stg_hr__employees') }}
),

reporting_lines as (
    select * from {{ ref('int_reporting_lines') }}
),

periods as (
    select distinct
        period_type,
        period_start,
        period_end
    from {{ ref('int_fiscal_periods') }}
),

-- the employee a CRM user is on a day (METRICS.md, Reps and rehires: forecasts on the
-- submission date)
crm_user_employees as (
    select * from {{ ref('int_crm_user_employees') }}
),

forecaster_periods as (
    -- Choice: the submission date that names the forecaster's employee record is the last one
    -- that counts for the period (a rehire between two submissions for one period: the later).
    select
        submissions.forecaster_id,
        submissions.period_type,
        submissions.period_start,
        periods.period_end,
        max(cast(submissions.submitted_at as date)) as last_submitted_on
    from submissions
    inner join periods
        on submissions.period_type = periods.period_type
        and submissions.period_start = periods.period_start
    where cast(submissions.submitted_at as date) <= periods.period_end
    group by
        submissions.forecaster_id,
        submissions.period_type,
        submissions.period_start,
        periods.period_end
),

forecasters as (
    select
        forecaster_periods.forecaster_id,
        forecaster_periods.period_type,
        forecaster_periods.period_start,
        forecaster_periods.period_end,
        crm_user_employees.employee_id as forecaster_employee_id
    from forecaster_periods
    left join crm_user_employees
        on forecaster_periods.forecaster_id = crm_user_employees.crm_user_id
        and forecaster_periods.last_submitted_on between crm_user_employees.valid_from and crm_user_employees.valid_to
),

own_scope as (
    select
        forecaster_id,
        forecaster_employee_id,
        period_type,
        period_start,
        period_end,
        forecaster_id as member_crm_user_id,
        forecaster_employee_id as member_employee_id,
        'self' as member_relation,
        0 as depth
    from forecasters
),

team_at_period_end as (
    select
        forecasters.forecaster_id,
        forecasters.forecaster_employee_id,
        forecasters.period_type,
        forecasters.period_start,
        forecasters.period_end,
        reporting_lines.report_crm_user_id as member_crm_user_id,
        reporting_lines.report_employee_id as member_employee_id,
        'team' as member_relation,
        reporting_lines.depth
    from forecasters
    inner join reporting_lines
        on forecasters.forecaster_employee_id = reporting_lines.manager_employee_id
        and forecasters.period_end >= reporting_lines.valid_from
        and forecasters.period_end <= coalesce(reporting_lines.valid_to, date '9999-12-31')
),

left_during_period as (
    select
        forecasters.forecaster_id,
        forecasters.forecaster_employee_id,
        forecasters.period_type,
        forecasters.period_start,
        forecasters.period_end,
        reporting_lines.report_crm_user_id as member_crm_user_id,
        reporting_lines.report_employee_id as member_employee_id,
        'left_during_period' as member_relation,
        reporting_lines.depth
    from forecasters
    inner join reporting_lines
        on forecasters.forecaster_employee_id = reporting_lines.manager_employee_id
    inner join employees as leavers
        on reporting_lines.report_employee_id = leavers.employee_id
    where leavers.termination_date >= forecasters.period_start
        -- leaving on the last day: still below f on that day, counted as team
        and leavers.termination_date < forecasters.period_end
        and leavers.termination_date >= reporting_lines.valid_from
        and leavers.termination_date <= coalesce(reporting_lines.valid_to, date '9999-12-31')
),

scope_members as (
    select * from own_scope
    union all
    select * from team_at_period_end
    union all
    select * from left_during_period
),

final as (
    select
        forecaster_id,
        forecaster_employee_id,
        period_type,
        period_start,
        period_end,
        member_crm_user_id,
        member_employee_id,
        member_relation,
        cast(depth as integer) as depth
    from scope_members
)

select * from final
