-- One row per live opportunity, as of the as-of day, in the reporting currency.
-- owner_employee_id: the owner's employee record on the close date (int_opportunities_owned)
with opportunities as (
    select * from {{ ref('int_opportunities_owned') }}
),

final as (
    select
        opportunities.opportunity_id,
        opportunities.account_id,
        opportunities.owner_id,
        opportunities.owner_employee_id,
        opportunities.opportunity_type as type,
        opportunities.lead_source,
        opportunities.stage_name,
        opportunities.stage_order,
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
)

select * from final
