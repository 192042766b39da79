-- HR employees as known at each evaluation day of the plan periods (int_plan_periods_closed):
-- which CRM user is which employee (METRICS.md: employee.crm_user_id), and the hire and
-- termination dates the quota ramp reads. No restricted column.
with periods as (
    select * from {{ ref('int_plan_periods_closed') }}
),

employee_versions as (
    select * from {{ ref('stg_hr__employee_versions') }}
),

evaluation_days as (
    select distinct
        evaluated_on,
        known_before
    from periods
),

final as (
    select
        evaluation_days.evaluated_on,
        employee_versions.employee_id,
        employee_versions.crm_user_id,
        employee_versions.hire_date,
        employee_versions.termination_date
    from evaluation_days
    inner join employee_versions
        on employee_versions.known_from < evaluation_days.known_before
        and (
            employee_versions.superseded_at is null
            or employee_versions.superseded_at >= evaluation_days.known_before
        )
    where not employee_versions.is_deleted
)

select * from final
