-- Who is paid and under which plan, by name, for every rep and plan period
-- (int_rep_periods_planned): what a commission statement prints in its heading. Restricted:
-- full_name is the HR employee's name. No money here, and no other mart reads this one, so the
-- commission figures do not depend on it.
with rep_periods as (
    select * from {{ ref('int_rep_periods_planned') }}
),

plan_versions as (
    select * from {{ ref('stg_comp__comp_plan_versions') }}
),

plans as (
    select * from {{ ref('stg_comp__comp_plans') }}
),

employees as (
    select * from {{ ref('stg_hr__employees') }}
),

plan_names_known as (
    -- the plan's name as known at the period's evaluation day, as its terms are
    select
        rep_periods.employee_id,
        rep_periods.period_type,
        rep_periods.period_start,
        plan_versions.plan_name
    from rep_periods
    inner join plan_versions
        on plan_versions.plan_id = rep_periods.plan_id
        and {{ known_at('plan_versions', 'rep_periods.known_before') }}
    where not plan_versions.is_deleted
),

final as (
    select
        cast(rep_periods.employee_id as varchar) as employee_id,
        cast(rep_periods.period_start as date) as period_start,
        cast(rep_periods.period_type as varchar) as period_type,
        cast(rep_periods.period_end as date) as period_end,
        cast(rep_periods.plan_id as varchar) as plan_id,
        cast(coalesce(plan_names_known.plan_name, plans.plan_name) as varchar) as plan_name,
        cast(employees.full_name as varchar) as full_name
    from rep_periods
    left join plan_names_known
        on plan_names_known.employee_id = rep_periods.employee_id
        and plan_names_known.period_type = rep_periods.period_type
        and plan_names_known.period_start = rep_periods.period_start
    left join plans
        on plans.plan_id = rep_periods.plan_id
    left join employees
        on employees.employee_id = rep_periods.employee_id
)

select * from final
