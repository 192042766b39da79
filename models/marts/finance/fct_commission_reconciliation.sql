-- Commissions computed vs paid by payroll, per rep and plan period start (METRICS.md,
-- Commissions: Reconciliation), with a reason where the pattern of the payouts explains the
-- variance. Computation is unrounded; money is rounded to cents only here.
with lines as (
    select * from {{ ref('int_commission_lines_unioned') }}
),

rep_periods as (
    select * from {{ ref('int_rep_periods_planned') }}
),

changes as (
    select * from {{ ref('int_deal_changes_listed') }}
),

payouts as (
    select * from {{ ref('stg_comp__commission_payouts') }}
),

period_totals as (
    select
        lines.employee_id,
        lines.period_start,
        max(lines.period_type) as period_type,
        {{ money("coalesce(sum(case when lines.line_type = 'commission' then lines.credited_amount end), 0)") }} as credited_bookings,
        count(distinct case when lines.line_type in ('commission', 'spif') then lines.opportunity_id end) as deals,
        {{ money("coalesce(sum(case when lines.line_type = 'commission' then lines.amount end), 0)") }} as commission_amount,
        {{ money("coalesce(sum(case when lines.line_type = 'spif' then lines.amount end), 0)") }} as spif_amount,
        {{ money("coalesce(sum(case when lines.line_type = 'cap_adjustment' then lines.amount end), 0)") }} as cap_adjustment_amount,
        {{ money("coalesce(sum(case when lines.line_type = 'clawback' then lines.amount end), 0)") }} as clawback_amount,
        {{ money('sum(lines.amount)') }} as computed_amount
    from lines
    group by lines.employee_id, lines.period_start
),

period_changes as (
    select
        employee_id,
        period_start,
        count(distinct opportunity_id) as changed_after_close_deals
    from changes
    group by employee_id, period_start
),

payout_totals as (
    select
        employee_id,
        period_start,
        count(*) as payout_count,
        {{ money('sum(amount)') }} as paid_amount,
        case when count(distinct currency) = 1 then max(currency) end as payout_currency,
        case when count(distinct currency) = 1 then {{ money('sum(amount_local)') }} end as paid_amount_local,
        max(paid_date) as last_paid_date
    from payouts
    group by employee_id, period_start
),

duplicated_payouts as (
    -- The same amount paid twice in the same currency for one rep and period.
    select
        employee_id,
        period_start,
        min(amount) as duplicated_amount
    from (
        select
            employee_id,
            period_start,
            min(amount) as amount
        from payouts
        group by employee_id, period_start, currency, amount_local
        having count(*) > 1
    ) as repeated
    group by employee_id, period_start
),

closed_rows as (
    select
        period_totals.*,
        rep_periods.period_end,
        rep_periods.closes_on,
        rep_periods.is_closed,
        rep_periods.evaluated_on,
        rep_periods.plan_id,
        rep_periods.plan_currency,
        rep_periods.ramp_adjusted_quota
    from period_totals
    inner join rep_periods
        on period_totals.employee_id = rep_periods.employee_id
        and period_totals.period_type = rep_periods.period_type
        and period_totals.period_start = rep_periods.period_start
),

reconciled as (
    select
        coalesce(closed_rows.employee_id, payout_totals.employee_id) as employee_id,
        coalesce(closed_rows.period_start, payout_totals.period_start) as period_start,
        closed_rows.period_type,
        closed_rows.period_end,
        closed_rows.closes_on,
        coalesce(closed_rows.is_closed, false) as is_period_closed,
        closed_rows.evaluated_on,
        closed_rows.plan_id,
        closed_rows.plan_currency,
        closed_rows.ramp_adjusted_quota,
        coalesce(closed_rows.credited_bookings, {{ money(0) }}) as credited_bookings,
        coalesce(closed_rows.deals, 0) as deals,
        coalesce(closed_rows.commission_amount, {{ money(0) }}) as commission_amount,
        coalesce(closed_rows.spif_amount, {{ money(0) }}) as spif_amount,
        coalesce(closed_rows.cap_adjustment_amount, {{ money(0) }}) as cap_adjustment_amount,
        coalesce(closed_rows.clawback_amount, {{ money(0) }}) as clawback_amount,
        coalesce(closed_rows.computed_amount, {{ money(0) }}) as computed_amount,
        coalesce(payout_totals.payout_count, 0) as payout_count,
        coalesce(payout_totals.paid_amount, {{ money(0) }}) as paid_amount,
        payout_totals.payout_currency,
        payout_totals.paid_amount_local,
        payout_totals.last_paid_date,
        duplicated_payouts.duplicated_amount,
        coalesce(period_changes.changed_after_close_deals, 0) as changed_after_close_deals
    from closed_rows
    full outer join payout_totals
        on closed_rows.employee_id = payout_totals.employee_id
        and closed_rows.period_start = payout_totals.period_start
    left join duplicated_payouts
        on duplicated_payouts.employee_id = coalesce(closed_rows.employee_id, payout_totals.employee_id)
        and duplicated_payouts.period_start = coalesce(closed_rows.period_start, payout_totals.period_start)
    left join period_changes
        on period_changes.employee_id = coalesce(closed_rows.employee_id, payout_totals.employee_id)
        and period_changes.period_start = coalesce(closed_rows.period_start, payout_totals.period_start)
    -- METRICS.md: a (rep, period) with nothing computed, nothing paid and no commissionable
    -- deal has no row; a period that has not closed is reconciled only when payroll paid it.
    where (
            closed_rows.is_closed
            and (closed_rows.computed_amount <> 0 or closed_rows.deals > 0 or payout_totals.paid_amount <> 0)
        )
        or payout_totals.paid_amount <> 0
),

statuses as (
    select
        *,
        {{ money('paid_amount - computed_amount') }} as variance,
        deals > 0 and coalesce(ramp_adjusted_quota, 0) <= 0 as has_no_quota
    from reconciled
),

explained as (
    select
        *,
        case
            when has_no_quota then 'no_quota'
            when abs(variance) <= 0.01 then 'matched'
            when variance > 0 then 'overpaid'
            else 'underpaid'
        end as status,
        case
            when abs(variance) <= 0.01 then
                case when changed_after_close_deals > 0 then 'changed_after_close' end
            when payout_count = 0 then 'missing_payout'
            when duplicated_amount is not null and abs(variance - duplicated_amount) <= 0.01 then 'duplicate_payout'
            when clawback_amount <> 0 and abs(paid_amount - (computed_amount - clawback_amount)) <= 0.01
                then 'clawback_not_applied'
            when changed_after_close_deals > 0 then 'changed_after_close'
            when payout_count = 1 and computed_amount > 0 and paid_amount > 0
                and abs(variance) <= computed_amount * 0.5 then 'wrong_rate'
        end as reason
    from statuses
),

final as (
    select
        cast(employee_id as varchar) as employee_id,
        cast(period_start as date) as period_start,
        cast(period_type as varchar) as period_type,
        cast(period_end as date) as period_end,
        cast(closes_on as date) as closes_on,
        cast(is_period_closed as boolean) as is_period_closed,
        cast(evaluated_on as date) as data_known_on,
        cast(plan_id as varchar) as plan_id,
        cast(plan_currency as varchar) as plan_currency,
        {{ round_money('ramp_adjusted_quota') }} as quota_amount,
        {{ round_money('credited_bookings') }} as credited_bookings,
        case
            when ramp_adjusted_quota > 0
                then cast(credited_bookings as double) / cast(ramp_adjusted_quota as double)
        end as attainment,
        cast(deals as integer) as deals,
        {{ round_money('commission_amount') }} as commission_amount,
        {{ round_money('spif_amount') }} as spif_amount,
        {{ round_money('cap_adjustment_amount') }} as cap_adjustment_amount,
        {{ round_money('clawback_amount') }} as clawback_amount,
        {{ round_money('computed_amount') }} as computed_amount,
        cast(payout_count as integer) as payout_count,
        cast(payout_currency as varchar) as payout_currency,
        {{ round_money('paid_amount_local') }} as paid_amount_local,
        cast(last_paid_date as date) as last_paid_date,
        {{ round_money('paid_amount') }} as paid_amount,
        {{ round_money('variance') }} as variance,
        cast(status as varchar) as status,
        cast(reason as varchar) as reason,
        cast(changed_after_close_deals as integer) as changed_after_close_deals
    from explained
)

select * from final
