-- The employee a CRM user is on each day (METRICS.md, Reps and rehires): one row per CRM user
-- and employee record, valid_from .. valid_to inclusive, exactly one row of a CRM user holding
-- on any day. Every model that maps a CRM user to an employee joins here on its own date
-- (bookings on the close date, forecasts on the submission date, activities on their date):
--   crm_user_id = ... and d between valid_from and valid_to
-- The rule itself is the macro crm_user_employee_spans (shared with int_employees_known, its
-- as-known-then twin for closed commission periods).
with employees as (
    select * from {{ ref('stg_hr__employees') }}
),

spans as (
    {{ crm_user_employee_spans('employees') }}
),

final as (
    select * from spans
    where valid_from <= valid_to
)

select * from final
