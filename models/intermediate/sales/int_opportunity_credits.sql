-- Who gets credit for each live opportunity (METRICS.md, Credit and bookings): one row per
-- split owner, amount x split_percentage / 100; an opportunity without splits credits 100% to
-- its owner. A CRM user is the employee it is on the close date (int_crm_user_employees; a
-- rehired rep's deals land on the employee record of their close date). Won opportunities'
-- credits are the credited bookings of their close-date period.
with opportunities as (
    select * from {{ ref('stg_crm__opportunities') }}
),

splits as (
    select * from {{ ref('stg_crm__opportunity_splits') }}
),

crm_user_employees as (
    select * from {{ ref('int_crm_user_employees') }}
),

split_credits as (
    select
        opportunity_id,
        split_owner_id as crm_user_id,
        split_percentage
    from splits
),

owner_credits as (
    select
        opportunities.opportunity_id,
        opportunities.owner_id as crm_user_id,
        cast(100 as decimal(38, 10)) as split_percentage
    from opportunities
    where not exists (
        select 1 from splits where splits.opportunity_id = opportunities.opportunity_id
    )
),

credits as (
    select * from split_credits
    union all
    select * from owner_credits
),

final as (
    select
        opportunities.opportunity_id,
        credits.crm_user_id,
        crm_user_employees.employee_id,
        opportunities.owner_id,
        opportunities.account_id,
        opportunities.opportunity_type,
        opportunities.is_closed,
        opportunities.is_won,
        opportunities.created_date,
        opportunities.close_date,
        credits.split_percentage,
        opportunities.amount,
        -- CONTRACTS.md: a deal without an amount counts as nothing: it credits 0, not null.
        {{ money('coalesce(opportunities.amount, 0) * credits.split_percentage * 0.01') }} as credited_amount
    from credits
    inner join opportunities
        on credits.opportunity_id = opportunities.opportunity_id
    left join crm_user_employees
        on credits.crm_user_id = crm_user_employees.crm_user_id
        and opportunities.close_date between crm_user_employees.valid_from and crm_user_employees.valid_to
)

select * from final
