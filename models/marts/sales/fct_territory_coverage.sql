-- Territory coverage per territory and fiscal month: accounts, unowned and neglected
-- accounts, deals owned outside the account's territory, open pipeline at month end, and how
-- evenly credited bookings spread over the territory's reps. A month is measured on its last
-- day, or on the as-of day while it is not over. Accounts belong to the territory the CRM
-- assigns them today (account_territory keeps no history).
with accounts as (
    select * from {{ ref('int_accounts_assigned') }}
),

territories as (
    select * from {{ ref('stg_crm__territories') }}
),

opportunities as (
    select * from {{ ref('int_opportunities_owned') }}
),

states as (
    select * from {{ ref('int_opportunity_states_dated') }}
),

activities as (
    select * from {{ ref('int_activities_unioned') }}
),

credits as (
    select * from {{ ref('int_opportunity_credits') }}
),

reps as (
    select * from {{ ref('dim_rep') }}
),

calendar as (
    select * from {{ ref('int_dates_spined') }}
),

-- months from the first opportunity's month to the as-of month
months as (
    select distinct
        month_start,
        month_end,
        least(month_end, {{ as_of_date() }}) as measured_on
    from calendar
    where month_start >= (select min({{ dbt.date_trunc('month', 'created_date') }}) from opportunities)
        and month_start <= {{ as_of_date() }}
),

territory_months as (
    select
        territories.territory_id,
        months.month_start,
        months.month_end,
        months.measured_on
    from territories
    cross join months
),

-- active (hired, not yet past the last day worked) quota carriers and the HR job they hold
-- on the day a month is measured
rep_days as (
    select
        months.month_start,
        reps.employee_id,
        reps.crm_user_id,
        reps.territory_id
    from months
    inner join reps
        on reps.valid_from <= months.measured_on
        and (reps.valid_to is null or reps.valid_to >= months.measured_on)
        and reps.hire_date <= months.measured_on
        and (reps.termination_date is null or reps.termination_date >= months.measured_on)
    where reps.is_quota_carrier
),

account_months as (
    select
        territory_months.territory_id,
        territory_months.month_start,
        territory_months.measured_on,
        accounts.account_id,
        accounts.owner_id
    from territory_months
    inner join accounts
        on territory_months.territory_id = accounts.territory_id
        and accounts.created_date <= territory_months.measured_on
),

account_activity as (
    select distinct
        account_months.account_id,
        account_months.month_start
    from account_months
    inner join activities
        on account_months.account_id = activities.account_id
        and activities.activity_date <= account_months.measured_on
        and activities.activity_date > {{ dbt.dateadd('day', -90, 'account_months.measured_on') }}
),

account_counts as (
    select
        account_months.territory_id,
        account_months.month_start,
        count(*) as accounts,
        count(case when owners.employee_id is null then 1 end) as unowned_accounts,
        count(case when account_activity.account_id is null then 1 end) as neglected_accounts
    from account_months
    left join rep_days as owners
        on account_months.owner_id = owners.crm_user_id
        and account_months.month_start = owners.month_start
    left join account_activity
        on account_months.account_id = account_activity.account_id
        and account_months.month_start = account_activity.month_start
    group by account_months.territory_id, account_months.month_start
),

-- the owner's HR territory on the day the deal was created, and on the day it closed
deals as (
    select
        opportunities.opportunity_id,
        accounts.territory_id,
        opportunities.created_date,
        opportunities.close_date,
        opportunities.is_closed,
        at_creation.territory_id as owner_territory_at_creation,
        at_close.territory_id as owner_territory_at_close
    from opportunities
    inner join accounts
        on opportunities.account_id = accounts.account_id
    left join reps as at_creation
        on opportunities.owner_id = at_creation.crm_user_id
        and at_creation.valid_from <= opportunities.created_date
        and (at_creation.valid_to is null or at_creation.valid_to >= opportunities.created_date)
    left join reps as at_close
        on opportunities.owner_id = at_close.crm_user_id
        and at_close.valid_from <= opportunities.close_date
        and (at_close.valid_to is null or at_close.valid_to >= opportunities.close_date)
    where accounts.territory_id is not null
),

deals_created as (
    select
        deals.territory_id,
        calendar.month_start,
        count(*) as deals_created,
        count(
            case when deals.owner_territory_at_creation <> deals.territory_id then 1 end
        ) as cross_territory_deals_created
    from deals
    inner join calendar
        on deals.created_date = calendar.date_day
    group by deals.territory_id, calendar.month_start
),

deals_closed as (
    select
        deals.territory_id,
        calendar.month_start,
        count(*) as deals_closed,
        count(
            case when deals.owner_territory_at_close <> deals.territory_id then 1 end
        ) as cross_territory_deals_closed
    from deals
    inner join calendar
        on deals.close_date = calendar.date_day
    where deals.is_closed
    group by deals.territory_id, calendar.month_start
),

-- METRICS.md open pipeline as of the day measured (int_opportunity_states_dated: created by
-- then, its state then - the latest history row at or before it, else the current row - open;
-- amount and close date as of then)
open_pipeline as (
    select
        accounts.territory_id,
        months.month_start,
        count(*) as open_opportunities,
        sum(states.amount) as open_pipeline_amount
    from months
    inner join states
        on months.measured_on between states.valid_from and coalesce(states.valid_to, date '9999-12-31')
    inner join opportunities
        on states.opportunity_id = opportunities.opportunity_id
    inner join accounts
        on opportunities.account_id = accounts.account_id
    where states.is_open
        and accounts.territory_id is not null
    group by accounts.territory_id, months.month_start
),

rep_month_bookings as (
    select
        credits.employee_id,
        calendar.month_start,
        sum(credits.credited_amount) as credited_bookings
    from credits
    inner join calendar
        on credits.close_date = calendar.date_day
    where credits.is_won
        and credits.employee_id is not null
    group by credits.employee_id, calendar.month_start
),

territory_rep_bookings as (
    select
        rep_days.territory_id,
        rep_days.month_start,
        rep_days.employee_id,
        coalesce(rep_month_bookings.credited_bookings, 0) as credited_bookings
    from rep_days
    left join rep_month_bookings
        on rep_days.employee_id = rep_month_bookings.employee_id
        and rep_days.month_start = rep_month_bookings.month_start
    where rep_days.territory_id is not null
),

rep_balance as (
    select
        territory_id,
        month_start,
        count(*) as reps,
        {{ money('sum(credited_bookings)') }} as rep_bookings,
        -- population standard deviation from exact decimal sums, so that the result does
        -- not depend on the order a parallel aggregate adds floating-point numbers in
        sqrt(greatest(
            cast(sum(credited_bookings * credited_bookings) as double) / count(*)
            - power(cast(sum(credited_bookings) as double) / count(*), 2),
            0
        )) as bookings_stddev,
        max(credited_bookings) - min(credited_bookings) as bookings_range
    from territory_rep_bookings
    group by territory_id, month_start
),

final as (
    select
        territory_months.territory_id || '|' || cast(territory_months.month_start as varchar)
            as territory_month_key,
        territory_months.territory_id,
        cast(territory_months.month_start as date) as month_start,
        cast(territory_months.measured_on as date) as measured_on,
        cast(coalesce(account_counts.accounts, 0) as integer) as accounts,
        cast(coalesce(account_counts.unowned_accounts, 0) as integer) as unowned_accounts,
        cast(coalesce(account_counts.neglected_accounts, 0) as integer) as neglected_accounts,
        cast(coalesce(deals_created.deals_created, 0) as integer) as deals_created,
        cast(coalesce(deals_created.cross_territory_deals_created, 0) as integer)
            as cross_territory_deals_created,
        cast(coalesce(deals_closed.deals_closed, 0) as integer) as deals_closed,
        cast(coalesce(deals_closed.cross_territory_deals_closed, 0) as integer)
            as cross_territory_deals_closed,
        cast(coalesce(open_pipeline.open_opportunities, 0) as integer) as open_opportunities,
        {{ round_money('coalesce(open_pipeline.open_pipeline_amount, 0)') }} as open_pipeline_amount,
        cast(coalesce(rep_balance.reps, 0) as integer) as reps,
        {{ round_money('coalesce(rep_balance.rep_bookings, 0)') }} as rep_bookings,
        -- exact money division: sum / reps on integers scaled by 10^10 (DuckDB's decimal
        -- division would give a double)
        {{ round_money(
            'cast(cast(rep_balance.rep_bookings * 10000000000 as hugeint) // rep_balance.reps'
            ~ ' as decimal(38, 0)) * 0.0000000001'
        ) }} as bookings_per_rep,
        {{ round_money('rep_balance.bookings_stddev') }} as bookings_per_rep_stddev,
        {{ round_money('rep_balance.bookings_range') }} as bookings_per_rep_range
    from territory_months
    left join account_counts
        on territory_months.territory_id = account_counts.territory_id
        and territory_months.month_start = account_counts.month_start
    left join deals_created
        on territory_months.territory_id = deals_created.territory_id
        and territory_months.month_start = deals_created.month_start
    left join deals_closed
        on territory_months.territory_id = deals_closed.territory_id
        and territory_months.month_start = deals_closed.month_start
    left join open_pipeline
        on territory_months.territory_id = open_pipeline.territory_id
        and territory_months.month_start = open_pipeline.month_start
    left join rep_balance
        on territory_months.territory_id = rep_balance.territory_id
        and territory_months.month_start = rep_balance.month_start
)

select * from final
