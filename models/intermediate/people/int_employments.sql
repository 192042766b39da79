-- One row per HR employee record, i.e. per employment (METRICS.md, Reps and rehires: a rehire
-- is a new employee record): its CRM user, hire and termination dates (the termination date
-- is the last day worked), termination type and whether it was regretted. What marts read
-- about an employee; no restricted column (names, emails and reasons stay in staging).
with employees as (
    select * from {{ ref('stg_hr__employees') }}
),

final as (
    select
        employee_id,
        crm_user_id,
        hire_date,
        termination_date,
        termination_type,
        is_regretted
    from employees
)

select * from final
