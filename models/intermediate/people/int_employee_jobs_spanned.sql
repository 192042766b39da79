-- The HR job every employee holds on every day they are employed, as contiguous spans
-- (METRICS.md, Reps and rehires: the job on day d is the job_history row with the latest
-- effective_date <= d; it lasts until the next row's effective_date or the termination date;
-- end_date is informational). The one place that rule lives: dim_rep is a thin mart over it,
-- int_reporting_lines reads its managers, turnover and attainment read its segments.
-- HR job rows become spans that run from the row's effective_date to the day before the
-- next row starts, so the spans of one employee cover hire_date .. termination_date with no
-- gap and no overlap:
--   * the first span starts on the hire date, even when HR's first job row starts later;
--   * of several rows on or before the hire date, the latest one is the job at hire;
--   * a job row's own end_date does not end the span early (a gap keeps the last job);
--   * job rows starting after the termination date are ignored;
--   * an employee without job rows gets one span with no role or team.
with employees as (
    select * from {{ ref('stg_hr__employees') }}
),

jobs as (
    select * from {{ ref('stg_hr__job_history') }}
),

job_starts as (
    select
        employees.employee_id,
        employees.hire_date,
        employees.termination_date,
        employees.crm_user_id,
        employees.termination_type,
        employees.is_regretted,
        jobs.effective_date,
        jobs.fte,
        jobs.role,
        jobs.team,
        jobs.manager_employee_id,
        jobs.territory_id,
        greatest(coalesce(jobs.effective_date, employees.hire_date), employees.hire_date) as starts_on
    from employees
    left join jobs
        on employees.employee_id = jobs.employee_id
),

jobs_while_employed as (
    select
        *,
        row_number() over (
            partition by employee_id, starts_on
            order by effective_date desc
        ) as rank_on_start_day
    from job_starts
    where termination_date is null
        or starts_on <= termination_date
),

one_job_a_day as (
    select
        *,
        row_number() over (partition by employee_id order by starts_on) as job_sequence,
        lead(starts_on) over (partition by employee_id order by starts_on) as next_starts_on
    from jobs_while_employed
    where rank_on_start_day = 1
),

final as (
    select
        employee_id,
        cast(job_sequence as integer) as job_sequence,
        crm_user_id,
        role,
        team,
        manager_employee_id,
        territory_id,
        fte,
        role in ('AE', 'AM', 'SDR', 'BDR') as is_quota_carrier,
        hire_date,
        termination_date,
        termination_type,
        is_regretted,
        case when job_sequence = 1 then hire_date else starts_on end as span_start,
        case
            when next_starts_on is not null
                then cast({{ dbt.dateadd('day', -1, 'next_starts_on') }} as date)
            else termination_date
        end as span_end
    from one_job_a_day
)

select * from final
