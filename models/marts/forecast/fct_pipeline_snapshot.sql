-- Open pipeline at the end of every week (METRICS.md, Pipeline: opportunities created on or
-- before d whose state on d is open; amount and close date as of d), by owner, stage and
-- forecast category as of the snapshot date.
with weekly_states as (
    select * from {{ ref('int_opportunity_states_weekly') }}
),

-- the employee the owner is on the snapshot date (a rehired rep: the record of that day)
crm_user_employees as (
    select * from {{ ref('int_crm_user_employees') }}
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
        crm_user_employees.employee_id as owner_employee_id,
        open_states.stage_name,
        open_states.stage_order,
        open_states.forecast_category_name,
        cast(count(*) as integer) as open_opportunity_count,
        {{ round_money('sum(open_states.amount)') }} as open_pipeline_amount,
        {{ round_money('sum(open_states.amount * open_states.probability * 0.01)') }} as weighted_pipeline_amount
    from open_states
    left join crm_user_employees
        on open_states.owner_id = crm_user_employees.crm_user_id
        and open_states.snapshot_date between crm_user_employees.valid_from and crm_user_employees.valid_to
    group by
        open_states.snapshot_date,
        open_states.week_end_date,
        open_states.is_week_complete,
        open_states.owner_id,
        crm_user_employees.employee_id,
        open_states.stage_name,
        open_states.stage_order,
        open_states.forecast_category_name
)

select * from final
