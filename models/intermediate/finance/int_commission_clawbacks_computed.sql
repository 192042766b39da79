-- Clawback lines (METRICS.md, Commissions): a commissionable deal of a closed period that is
-- later un-won or deleted, the reversal first seen (its version's system_modstamp, else its
-- landing day) within the plan's clawback_days (inclusive) of its close date, gives back what
-- it paid the rep in that period - commission + SPIF + its share of the cap adjustment, i.e.
-- scaled by the share of the period's pay a binding cap left - as a negative line in the
-- rep's plan period that contains the reversal date. One row per rep, opportunity and the
-- period it lands in. A reversal seen later than the window changes nothing (it is listed in
-- int_deal_changes_listed). Choice: the reversal's period is that of the rep's assignment in
-- effect on the reversal date, else the latest one started before it (a rep who left still
-- gets the line, in the period of the last plan).
with reversals as (
    select * from {{ ref('int_deal_reversals_found') }}
),

rep_periods as (
    select * from {{ ref('int_rep_periods_planned') }}
),

periods as (
    select * from {{ ref('int_plan_periods_closed') }}
),

assignments as (
    select * from {{ ref('int_plan_assignments_known') }}
),

in_window as (
    select * from reversals
    where is_in_clawback_window
),

target_periods as (
    -- The rep's plan period containing the reversal date, as known at its evaluation day.
    select
        in_window.*,
        periods.period_type as target_period_type,
        periods.period_start as target_period_start,
        assignments.period_type as governing_period_type,
        row_number() over (
            partition by
                in_window.employee_id,
                in_window.period_type,
                in_window.period_start,
                in_window.opportunity_id,
                periods.period_type
            order by
                case
                    when coalesce(assignments.effective_to, date '9999-12-31') >= in_window.reversal_date then 0
                    else 1
                end,
                assignments.effective_from desc,
                assignments.plan_id
        ) as assignment_rank
    from in_window
    inner join periods
        on in_window.reversal_date >= periods.period_start
        and in_window.reversal_date <= periods.period_end
        and in_window.reversed_at < periods.known_before
    inner join assignments
        on assignments.evaluated_on = periods.evaluated_on
        and assignments.employee_id = in_window.employee_id
        and assignments.effective_from <= in_window.reversal_date
),

landed as (
    select * from target_periods
    where assignment_rank = 1
        and governing_period_type = target_period_type
),

final as (
    select
        landed.employee_id,
        landed.target_period_type as period_type,
        landed.target_period_start as period_start,
        landed.opportunity_id,
        'clawback' as line_type,
        rep_periods.period_end,
        rep_periods.closes_on,
        rep_periods.is_closed,
        rep_periods.evaluated_on,
        rep_periods.plan_id,
        landed.close_date,
        landed.credit_date,
        landed.period_type as original_period_type,
        landed.period_start as original_period_start,
        landed.reversal_date,
        landed.reversal_kind,
        landed.days_after_close,
        landed.clawback_days,
        {{ money('-landed.paid_for_deal') }} as amount,
        landed.reversal_source_file,
        landed.reversal_source_line,
        landed.reversal_landed_on as inputs_landed_on
    from landed
    inner join rep_periods
        on landed.employee_id = rep_periods.employee_id
        and landed.target_period_type = rep_periods.period_type
        and landed.target_period_start = rep_periods.period_start
)

select * from final
