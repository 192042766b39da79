-- HR employees as known at each evaluation day of the plan periods (int_plan_periods_closed):
-- which CRM user is which employee (METRICS.md: employee.crm_user_id), and the hire and
-- termination dates the quota ramp reads. No restricted column.
-- crm_valid_from .. crm_valid_to: the days on which this employee record is its CRM user, as
-- known then (the rule of int_crm_user_employees, macro crm_user_employee_spans, applied to
-- the employees known at each evaluation day); null without a CRM user.
with evaluation_days as (
    select * from {{ ref('int_evaluation_days') }}
),

employee_versions as (
    select * from {{ ref('stg_hr__employee_versions') }}
),

known as (
    select
        evaluation_days.evaluated_on,
        employee_versions.employee_id,
        employee_versions.crm_user_id,
        employee_versions.hire_date,
        employee_versions.termination_date
    from evaluation_days
    inner join employee_versions
        on {{ known_at('employee_versions', 'evaluation_days.known_before') }}
    where not employee_versions.is_deleted
),

crm_user_spans as (
    {{ crm_user_employee_spans('known', partition_by=['evaluated_on']) }}
),

final as (
    select
        known.*,
        crm_user_spans.valid_from as crm_valid_from,
        crm_user_spans.valid_to as crm_valid_to
    from known
    left join crm_user_spans
        on known.evaluated_on = crm_user_spans.evaluated_on
        and known.employee_id = crm_user_spans.employee_id
        and crm_user_spans.valid_from <= crm_user_spans.valid_to
)

select * from final
