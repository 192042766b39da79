-- One row per employee and job period (SCD2 over HR job_history): the job spans of
-- int_employee_jobs_spanned, which owns the rule (METRICS.md, Reps and rehires: a job lasts
-- until the next row's effective_date or the termination date; end_date is informational).
with jobs as (
    select * from {{ ref('int_employee_jobs_spanned') }}
),

crm_user_employees as (
    select * from {{ ref('int_crm_user_employees') }}
),

final as (
    select
        jobs.employee_id || '@' || cast(jobs.span_start as varchar) as rep_period_key,
        jobs.employee_id,
        jobs.crm_user_id,
        jobs.role,
        jobs.team,
        jobs.manager_employee_id,
        managers.crm_user_id as manager_crm_user_id,
        jobs.territory_id,
        jobs.fte,
        jobs.is_quota_carrier,
        jobs.hire_date,
        jobs.termination_date,
        jobs.termination_type,
        jobs.is_regretted,
        jobs.span_start as valid_from,
        jobs.span_end as valid_to,
        jobs.span_start <= {{ as_of_date() }}
            and coalesce(jobs.span_end, date '9999-12-31') >= {{ as_of_date() }} as is_current
    from jobs
    left join crm_user_employees as managers
        on jobs.manager_employee_id = managers.employee_id
)

select * from final
