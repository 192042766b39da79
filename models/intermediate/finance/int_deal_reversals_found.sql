-- Deals of closed plan periods that were later un-won or deleted (METRICS.md, Commissions:
-- Clawback). One row per rep, closed plan period and opportunity whose lines in that period
-- are followed by a reversal: the first version seen after the period's evaluation day
-- (int_plan_periods_closed) that is not won, or deleted. The reversal date is that
-- version's system_modstamp date, else its landing day; is_in_clawback_window compares it with
-- the close date and the clawback_days of the period's plan (inclusive). paid_for_deal is
-- what the deal paid the rep in that period: commission + SPIF + its share of the cap
-- adjustment.
with lines as (
    select * from {{ ref('int_commission_lines_computed') }}
),

rep_periods as (
    select * from {{ ref('int_rep_periods_planned') }}
),

opportunity_versions as (
    select * from {{ ref('stg_crm__opportunity_versions') }}
),

closed_deals as (
    select
        lines.employee_id,
        lines.period_type,
        lines.period_start,
        lines.opportunity_id,
        lines.close_date,
        lines.credit_date,
        {{ money('sum(lines.amount)') }} as paid_for_deal
    from lines
    where lines.is_closed
    group by
        lines.employee_id,
        lines.period_type,
        lines.period_start,
        lines.opportunity_id,
        lines.close_date,
        lines.credit_date
),

reversals as (
    -- The first version seen after the period's evaluation day that is not won, or deleted.
    select
        closed_deals.*,
        rep_periods.clawback_days,
        opportunity_versions.known_from as reversed_at,
        cast(opportunity_versions.known_from as date) as reversal_date,
        case
            when opportunity_versions.is_deleted then 'deleted'
            when opportunity_versions.is_closed then 'closed_lost'
            else 'reopened'
        end as reversal_kind,
        opportunity_versions.landed_on as reversal_landed_on,
        opportunity_versions.source_file as reversal_source_file,
        opportunity_versions.source_line as reversal_source_line,
        row_number() over (
            partition by closed_deals.employee_id, closed_deals.period_type, closed_deals.period_start, closed_deals.opportunity_id
            order by
                opportunity_versions.known_from,
                opportunity_versions.landed_on,
                opportunity_versions.source_file,
                opportunity_versions.source_line
        ) as reversal_rank
    from closed_deals
    inner join rep_periods
        on closed_deals.employee_id = rep_periods.employee_id
        and closed_deals.period_type = rep_periods.period_type
        and closed_deals.period_start = rep_periods.period_start
    inner join opportunity_versions
        on opportunity_versions.opportunity_id = closed_deals.opportunity_id
        and opportunity_versions.known_from >= rep_periods.known_before
    where opportunity_versions.is_deleted or not coalesce(opportunity_versions.is_won, false)
),

clawable as (
    select
        *,
        cast({{ dbt.datediff('close_date', 'reversal_date', 'day') }} as integer) as days_after_close
    from reversals
    where reversal_rank = 1
),

final as (
    select
        employee_id,
        period_type,
        period_start,
        opportunity_id,
        close_date,
        credit_date,
        paid_for_deal,
        clawback_days,
        reversed_at,
        reversal_date,
        reversal_kind,
        days_after_close,
        days_after_close <= clawback_days as is_in_clawback_window,
        reversal_landed_on,
        reversal_source_file,
        reversal_source_line
    from clawable
)

select * from final
