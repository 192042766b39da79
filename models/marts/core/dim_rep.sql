-- One row per employee and job period (SCD2 over HR job_history). Periods run from a job's
-- effective_date to the day before the next job starts, its own end_date, or the
-- termination date, whichever comes first. An employee without job rows gets one period
-- from hire to termination with no role.
with employees as (
    select * from {{ ref('stg_hr__employees') }}
),

jobs as (
    select * from {{ ref('stg_hr__job_history') }}
),

job_periods as (
    select
        employee_id,
        manager_employee_id,
        territory_id,
        role,
        team,
        fte,
        effective_date as valid_from,
        end_date,
        lead(effective_date) over (
            partition by employee_id order by effective_date
        ) as next_effective_date
    from jobs
),

bounded as (
    select
        employees.employee_id,
        employees.crm_user_id,
        job_periods.manager_employee_id,
        job_periods.territory_id,
        job_periods.role,
        job_periods.team,
        job_periods.fte,
        employees.hire_date,
        employees.termination_date,
        employees.termination_type,
        employees.is_regretted,
        coalesce(job_periods.valid_from, employees.hire_date) as valid_from,
        least(
            coalesce(job_periods.end_date, date '9999-12-31'),
            coalesce({{ dbt.dateadd('day', -1, 'job_periods.next_effective_date') }}, date '9999-12-31'),
            coalesce(employees.termination_date, date '9999-12-31')
        ) as valid_to_or_open
    from employees
    left join job_periods
        on employees.employee_id = job_periods.employee_id
),

managers as (
    select employee_id, crm_user_id from employees
),

final as (
    select
        bounded.employee_id || '@' || cast(bounded.valid_from as varchar) as rep_period_key,
        bounded.employee_id,
        bounded.crm_user_id,
        bounded.role,
        bounded.team,
        bounded.manager_employee_id,
        managers.crm_user_id as manager_crm_user_id,
        bounded.territory_id,
        bounded.fte,
        bounded.role in ('AE', 'AM', 'SDR', 'BDR') as is_quota_carrier,
        bounded.hire_date,
        bounded.termination_date,
        bounded.termination_type,
        bounded.is_regretted,
        bounded.valid_from,
        cast(nullif(bounded.valid_to_or_open, date '9999-12-31') as date) as valid_to,
        bounded.valid_from <= {{ as_of_date() }}
            and bounded.valid_to_or_open >= {{ as_of_date() }} as is_current
    from bounded
    left join managers
        on bounded.manager_employee_id = managers.employee_id
    where bounded.valid_from <= bounded.valid_to_or_open
)

select * from final
