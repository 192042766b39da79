-- One row per live opportunity, as of the as-of day, in the reporting currency.
with opportunities as (
    select * from {{ ref('stg_crm__opportunities') }}
),

-- the owner's employee record on the close date (METRICS.md, Reps and rehires)
crm_user_employees as (
    select * from {{ ref('int_crm_user_employees') }}
),

stages as (
    select * from {{ ref('stage_map') }}
),

final as (
    select
        opportunities.opportunity_id,
        opportunities.account_id,
        opportunities.owner_id,
        crm_user_employees.employee_id as owner_employee_id,
        opportunities.opportunity_type as type,
        opportunities.lead_source,
        opportunities.stage_name,
        stages.stage_order,
        opportunities.forecast_category_name,
        opportunities.is_closed,
        opportunities.is_won,
        opportunities.probability,
        opportunities.currency,
        {{ round_money('opportunities.amount_local') }} as amount_local,
        {{ round_money('opportunities.amount') }} as amount,
        opportunities.created_date,
        opportunities.close_date,
        case
            when opportunities.is_won
                then cast({{ dbt.datediff('opportunities.created_date', 'opportunities.close_date', 'day') }} as integer)
        end as sales_cycle_days,
        opportunities.created_at
    from opportunities
    left join crm_user_employees
        on opportunities.owner_id = crm_user_employees.crm_user_id
        and opportunities.close_date between crm_user_employees.valid_from and crm_user_employees.valid_to
    left join stages
        on opportunities.stage_name = stages.stage_name
)

select * from final
