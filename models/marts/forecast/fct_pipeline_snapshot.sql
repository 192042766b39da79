-- Open pipeline at the end of every week (METRICS.md, Pipeline: opportunities created on or
-- before d whose state on d is open; amount and close date as of d), by owner, stage and
-- forecast category as of the snapshot date.
with weekly_states as (
    select * from {{ ref('int_opportunity_states_weekly') }}
),

employees as (
    select * from {{ ref('stg_hr__employees') }}
),

-- a CRM user mapped by several HR employees (a rehire) is the latest-hired one
ranked_user_employees as (
    select
        crm_user_id,
        employee_id,
        row_number() over (partition by crm_user_id order by hire_date desc, employee_id desc) as hire_rank
    from employees
    where crm_user_id is not null
),

user_employees as (
    select
        crm_user_id,
        employee_id
    from ranked_user_employees
    where hire_rank = 1
),

open_states as (
    select * from weekly_states
    where is_open
),

final as (
    select
        open_states.snapshot_date,
        open_states.week_end_date,
        open_states.is_week_complete,
        open_states.owner_id,
        user_employees.employee_id as owner_employee_id,
        open_states.stage_name,
        open_states.stage_order,
        open_states.forecast_category_name,
        cast(count(*) as integer) as open_opportunity_count,
        {{ round_money('sum(open_states.amount)') }} as open_pipeline_amount,
        {{ round_money('sum(open_states.amount * open_states.probability * 0.01)') }} as weighted_pipeline_amount
    from open_states
    left join user_employees
        on open_states.owner_id = user_employees.crm_user_id
    group by
        open_states.snapshot_date,
        open_states.week_end_date,
        open_states.is_week_complete,
        open_states.owner_id,
        user_employees.employee_id,
        open_states.stage_name,
        open_states.stage_order,
        open_states.forecast_category_name
)

select * from final
