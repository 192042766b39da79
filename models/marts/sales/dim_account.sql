-- One row per live CRM account with its territory (region, segment) and its owner, as of the
-- as-of day.
with accounts as (
    select * from {{ ref('int_accounts_assigned') }}
),

final as (
    select
        account_id,
        account_name,
        owner_id,
        owner_employee_id,
        territory_id,
        territory_name,
        region,
        segment,
        industry,
        account_type,
        billing_country,
        created_date,
        created_at
    from accounts
)

select * from final
