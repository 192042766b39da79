-- How each commission line's credit fills the plan's marginal tiers (METRICS.md,
-- Commissions): one row per rep, plan period start, deal and tier band the deal reaches, so a
-- deal that crosses into the accelerator shows both portions. The commission line of
-- fct_commissions is the sum of its rows here (before rounding).
with tiers as (
    select * from {{ ref('int_deal_tiers_filled') }}
),

rep_periods as (
    select * from {{ ref('int_rep_periods_planned') }}
),

final as (
    select
        cast(tiers.employee_id as varchar) as employee_id,
        cast(tiers.period_start as date) as period_start,
        cast(tiers.opportunity_id as varchar) as opportunity_id,
        cast(tiers.attainment_from as double) as tier_from,
        cast(tiers.attainment_to as double) as tier_to,
        cast(tiers.period_type as varchar) as period_type,
        cast(tiers.plan_id as varchar) as plan_id,
        cast(case when rep_periods.is_closed then 'closed' else 'provisional' end as varchar) as line_status,
        cast(tiers.rate as double) as rate,
        {{ round_money('tiers.quota') }} as quota_amount,
        {{ round_money('tiers.band_floor') }} as band_floor_amount,
        {{ round_money('tiers.band_ceiling') }} as band_ceiling_amount,
        {{ round_money('tiers.credited_in_tier') }} as credited_in_tier,
        {{ round_money('tiers.amount') }} as amount
    from tiers
    inner join rep_periods
        on tiers.employee_id = rep_periods.employee_id
        and tiers.period_type = rep_periods.period_type
        and tiers.period_start = rep_periods.period_start
)

select * from final
