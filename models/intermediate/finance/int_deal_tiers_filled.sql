-- How each deal's credit fills the marginal tiers of its rep's plan period (METRICS.md,
-- Commissions): bookings in the band [attainment_from x quota, attainment_to x quota) earn
-- that band's rate; deals fill the bands in order of close date, then opportunity id. One row
-- per rep, plan period, opportunity and band the deal's credit reaches (a deal that crosses a
-- band boundary has a row in each band). No quota (or a ramped quota of 0): no row, no tier
-- commission. Tiers are those of the period's plan as known at its evaluation day.
with credits as (
    select * from {{ ref('int_deal_credits_known') }}
),

rep_periods as (
    select * from {{ ref('int_rep_periods_planned') }}
),

tier_versions as (
    select * from {{ ref('stg_comp__comp_plan_tier_versions') }}
),

filled as (
    select
        credits.employee_id,
        credits.period_type,
        credits.period_start,
        credits.opportunity_id,
        credits.plan_id,
        rep_periods.ramp_adjusted_quota as quota,
        credits.credited_before,
        {{ money('credits.credited_before + credits.credited_amount') }} as credited_after,
        rep_periods.known_before
    from credits
    inner join rep_periods
        on credits.employee_id = rep_periods.employee_id
        and credits.period_type = rep_periods.period_type
        and credits.period_start = rep_periods.period_start
    where rep_periods.ramp_adjusted_quota > 0
        and credits.credited_amount > 0
),

bands as (
    select
        filled.*,
        tier_versions.attainment_from,
        tier_versions.attainment_to,
        tier_versions.rate,
        {{ money('tier_versions.attainment_from * filled.quota') }} as band_floor,
        {{ money('tier_versions.attainment_to * filled.quota') }} as band_ceiling
    from filled
    inner join tier_versions
        on tier_versions.plan_id = filled.plan_id
        and {{ known_at('tier_versions', 'filled.known_before') }}
    where not tier_versions.is_deleted
),

portions as (
    select
        *,
        least(credited_after, coalesce(band_ceiling, credited_after))
            - greatest(credited_before, band_floor) as credited_in_tier
    from bands
),

final as (
    select
        employee_id,
        period_type,
        period_start,
        opportunity_id,
        plan_id,
        attainment_from,
        attainment_to,
        rate,
        quota,
        band_floor,
        band_ceiling,
        {{ money('credited_in_tier') }} as credited_in_tier,
        {{ money('credited_in_tier * rate') }} as amount
    from portions
    where credited_in_tier > 0
)

select * from final
