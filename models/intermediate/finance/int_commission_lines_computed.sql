-- The commission, SPIF and cap_adjustment lines of every rep plan period (METRICS.md,
-- Commissions), unrounded, one row per rep, plan period, opportunity and line type. Clawbacks
-- are in int_commission_clawbacks_computed.
--   * commission: the sum of the deal's tier portions (int_deal_tiers_filled) - 0 when the
--     period has no quota; one line for every deal the rep has credit on.
--   * spif: amount_per_deal of every SPIF (as known at the evaluation day) whose window
--     (inclusive) holds the deal's close date and whose opportunity_type matches (null: any),
--     converted at the close date's rate, once per SPIF and deal, to the opportunity owner.
--   * cap_adjustment: when commission + SPIFs of the period exceed the plan's payout_cap, the
--     excess is negative. Choice: it is spread over the period's deals in proportion to each
--     deal's commission + SPIF (so each deal's pay after the cap is known and a clawback gives
--     back exactly that), the last deal in filling order taking the remainder so the lines add
--     up exactly to payout_cap - (commission + SPIFs).
with credits as (
    select * from {{ ref('int_deal_credits_known') }}
),

tiers as (
    select * from {{ ref('int_deal_tiers_filled') }}
),

rep_periods as (
    select * from {{ ref('int_rep_periods_planned') }}
),

spif_versions as (
    select * from {{ ref('stg_comp__spif_versions') }}
),

fx_rates as (
    select * from {{ ref('int_fx_rates_known') }}
),

deal_tiers as (
    select
        employee_id,
        period_type,
        period_start,
        opportunity_id,
        {{ money('sum(amount)') }} as commission_amount,
        min(attainment_from) as tier_from,
        case when count(attainment_to) = count(*) then max(attainment_to) end as tier_to,
        case when count(*) = 1 then max(rate) end as band_rate,
        count(*) as tiers_reached
    from tiers
    group by employee_id, period_type, period_start, opportunity_id
),

spif_matches as (
    select
        credits.employee_id,
        credits.period_type,
        credits.period_start,
        credits.opportunity_id,
        spif_versions.spif_id,
        {{ convert_at_rate('spif_versions.amount_per_deal_local', 'spif_versions.currency', 'fx_rates.rate_to_reporting') }} as spif_amount
    from credits
    inner join spif_versions
        on {{ known_at('spif_versions', 'credits.known_before') }}
        and credits.close_date >= spif_versions.start_date
        and credits.close_date <= spif_versions.end_date
        and (spif_versions.opportunity_type is null or spif_versions.opportunity_type = credits.opportunity_type)
    left join fx_rates
        on fx_rates.evaluated_on = credits.evaluated_on
        and fx_rates.currency = spif_versions.currency
        and fx_rates.rate_date <= credits.close_date
        and (fx_rates.next_rate_date is null or fx_rates.next_rate_date > credits.close_date)
    where credits.is_owner
        and not spif_versions.is_deleted
),

deal_spifs as (
    select
        employee_id,
        period_type,
        period_start,
        opportunity_id,
        {{ money('sum(spif_amount)') }} as spif_amount,
        string_agg(spif_id, ', ' order by spif_id) as spif_ids
    from spif_matches
    group by employee_id, period_type, period_start, opportunity_id
),

deals as (
    select
        credits.*,
        rep_periods.ramp_adjusted_quota as quota,
        rep_periods.payout_cap,
        deal_tiers.commission_amount,
        deal_tiers.tier_from,
        deal_tiers.tier_to,
        deal_tiers.band_rate,
        deal_tiers.tiers_reached,
        deal_spifs.spif_amount,
        deal_spifs.spif_ids,
        {{ money('coalesce(deal_tiers.commission_amount, 0) + coalesce(deal_spifs.spif_amount, 0)') }} as deal_gross,
        row_number() over (
            partition by credits.employee_id, credits.period_type, credits.period_start
            order by credits.close_date desc, credits.opportunity_id desc
        ) as reverse_fill_order
    from credits
    inner join rep_periods
        on credits.employee_id = rep_periods.employee_id
        and credits.period_type = rep_periods.period_type
        and credits.period_start = rep_periods.period_start
    left join deal_tiers
        on credits.employee_id = deal_tiers.employee_id
        and credits.period_type = deal_tiers.period_type
        and credits.period_start = deal_tiers.period_start
        and credits.opportunity_id = deal_tiers.opportunity_id
    left join deal_spifs
        on credits.employee_id = deal_spifs.employee_id
        and credits.period_type = deal_spifs.period_type
        and credits.period_start = deal_spifs.period_start
        and credits.opportunity_id = deal_spifs.opportunity_id
),

period_gross as (
    select
        *,
        sum(deal_gross) over (partition by employee_id, period_type, period_start) as period_gross
    from deals
),

capped as (
    -- share of the excess: a ratio (double); money() brings each share back to decimal and
    -- the last deal in filling order takes the remainder, so the cap lines add up exactly.
    select
        *,
        case
            when payout_cap is not null and period_gross > payout_cap and deal_gross <> 0
                then {{ money('(payout_cap - period_gross) * (cast(deal_gross as double) / cast(period_gross as double))') }}
        end as cap_share
    from period_gross
),

cap_allocated as (
    select
        *,
        case
            when cap_share is null then null
            when reverse_fill_order = 1
                then {{ money('(payout_cap - period_gross) - coalesce(sum(cap_share) over (partition by employee_id, period_type, period_start) - cap_share, 0)') }}
            else cap_share
        end as cap_adjustment_amount
    from capped
),

line_rows as (
    select
        *,
        'commission' as line_type,
        coalesce(commission_amount, {{ money(0) }}) as line_amount
    from cap_allocated
    where split_percentage > 0
    union all
    select
        *,
        'spif' as line_type,
        spif_amount as line_amount
    from cap_allocated
    where spif_amount is not null
    union all
    select
        *,
        'cap_adjustment' as line_type,
        cap_adjustment_amount as line_amount
    from cap_allocated
    where cap_adjustment_amount is not null
),

final as (
    select
        employee_id,
        period_type,
        period_start,
        opportunity_id,
        line_type,
        period_end,
        closes_on,
        is_closed,
        evaluated_on,
        plan_id,
        crm_user_id,
        owner_id,
        is_owner,
        opportunity_type,
        close_date,
        credit_date,
        is_late_booking,
        currency,
        amount_local,
        fx_rate,
        amount as opportunity_amount,
        split_percentage,
        case when line_type = 'commission' then credited_amount end as credited_amount,
        quota,
        case
            when line_type = 'commission' and quota > 0
                then cast(credited_before as double) / cast(quota as double)
        end as attainment_before,
        case
            when line_type = 'commission' and quota > 0
                then cast(credited_before + credited_amount as double) / cast(quota as double)
        end as attainment_after,
        case when line_type = 'commission' then cast(tier_from as double) end as tier_from,
        case when line_type = 'commission' then cast(tier_to as double) end as tier_to,
        case
            when line_type <> 'commission' or commission_amount is null then null
            when tiers_reached = 1 then cast(band_rate as double)
            when credited_amount <> 0 then cast(commission_amount as double) / cast(credited_amount as double)
        end as rate,
        coalesce(tiers_reached, 0) > 1 and line_type = 'commission' as is_tier_crossing,
        case when line_type = 'spif' then spif_ids end as spif_ids,
        line_amount as amount,
        opportunity_split_ids,
        version_known_from,
        version_modified_at,
        version_source_file,
        version_source_line,
        inputs_landed_on
    from line_rows
)

select * from final
