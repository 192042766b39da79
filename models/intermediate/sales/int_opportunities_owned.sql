-- Every live opportunity as of the as-of day (stg_crm__opportunities: latest version, in the
-- reporting currency) with its stage order (stage_map) and its owner's employee record on the
-- close date (int_crm_user_employees; METRICS.md, Reps and rehires). What marts read about
-- opportunities: the owner's employee is decided here once.
with opportunities as (
    select * from {{ ref('stg_crm__opportunities') }}
),

crm_user_employees as (
    select * from {{ ref('int_crm_user_employees') }}
),

stages as (
    select * from {{ ref('stage_map') }}
),

final as (
    select
        opportunities.*,
        crm_user_employees.employee_id as owner_employee_id,
        stages.stage_order
    from opportunities
    left join crm_user_employees
        on opportunities.owner_id = crm_user_employees.crm_user_id
        and opportunities.close_date between crm_user_employees.valid_from and crm_user_employees.valid_to
    left join stages
        on opportunities.stage_name = stages.stage_name
)

select * from final
