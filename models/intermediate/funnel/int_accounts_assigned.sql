-- Every live account with its territory (CRM account_territory, current assignment) and its
-- owner's HR employee on the as-of day (int_crm_user_employees: a rehired owner is the
-- current employee record).
with accounts as (
    select * from {{ ref('stg_crm__accounts') }}
),

account_territories as (
    select * from {{ ref('stg_crm__account_territories') }}
),

territories as (
    select * from {{ ref('stg_crm__territories') }}
),

crm_user_employees as (
    select * from {{ ref('int_crm_user_employees') }}
),

final as (
    select
        accounts.account_id,
        accounts.account_name,
        accounts.owner_id,
        crm_user_employees.employee_id as owner_employee_id,
        account_territories.territory_id,
        territories.territory_name,
        territories.region,
        territories.segment,
        accounts.industry,
        accounts.account_type,
        accounts.billing_country,
        accounts.created_at,
        cast(accounts.created_at as date) as created_date
    from accounts
    left join account_territories
        on accounts.account_id = account_territories.account_id
    left join territories
        on account_territories.territory_id = territories.territory_id
    left join crm_user_employees
        on accounts.owner_id = crm_user_employees.crm_user_id
        and {{ as_of_date() }} between crm_user_employees.valid_from and crm_user_employees.valid_to
)

select * from final
