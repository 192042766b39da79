-- One row per CRM territory, with the accounts assigned to it and the quota-carrying reps HR
-- places in it on the as-of day.
with territories as (
    select * from {{ ref('stg_crm__territories') }}
),

accounts as (
    select * from {{ ref('int_accounts_assigned') }}
),

reps as (
    select * from {{ ref('dim_rep') }}
),

territory_accounts as (
    select
        territory_id,
        count(*) as accounts
    from accounts
    where territory_id is not null
    group by territory_id
),

territory_reps as (
    select
        territory_id,
        count(distinct employee_id) as current_reps
    from reps
    where is_current
        and is_quota_carrier
        and territory_id is not null
    group by territory_id
),

final as (
    select
        territories.territory_id,
        territories.territory_name,
        territories.region,
        territories.segment,
        cast(coalesce(territory_accounts.accounts, 0) as integer) as accounts,
        cast(coalesce(territory_reps.current_reps, 0) as integer) as current_reps
    from territories
    left join territory_accounts
        on territories.territory_id = territory_accounts.territory_id
    left join territory_reps
        on territories.territory_id = territory_reps.territory_id
)

select * from final
