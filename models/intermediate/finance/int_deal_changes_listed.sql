-- Changes to the deals of closed plan periods that change no line (METRICS.md, Commissions):
-- listed for review as changed_after_close. One row per rep, closed plan period,
-- opportunity and kind of change, with the first version that showed it:
--   * amount, currency, close_date, owner, opportunity_type: a later won version whose value
--     differs from the version known at the period's evaluation day;
--   * splits: a split of the deal first seen, changed or deleted after that day (before a
--     reversal: the splits of a deleted deal go with it);
--   * reversed_after_clawback_window: a reversal seen later than the plan's clawback_days;
--   * won_again_after_reversal: a won version after the reversal (nothing is commissioned
--     again; the deal's period stays the one where it was first commissionable).
with lines as (
    select * from {{ ref('int_commission_lines_computed') }}
),

reversals as (
    select * from {{ ref('int_deal_reversals_found') }}
),

rep_periods as (
    select * from {{ ref('int_rep_periods_planned') }}
),

opportunity_versions as (
    select * from {{ ref('stg_crm__opportunity_versions') }}
),

split_versions as (
    select * from {{ ref('stg_crm__opportunity_split_versions') }}
),

closed_deals as (
    select distinct
        lines.employee_id,
        lines.period_type,
        lines.period_start,
        lines.opportunity_id,
        rep_periods.known_before
    from lines
    inner join rep_periods
        on lines.employee_id = rep_periods.employee_id
        and lines.period_type = rep_periods.period_type
        and lines.period_start = rep_periods.period_start
    where lines.is_closed
),

at_close as (
    select
        closed_deals.*,
        opportunity_versions.amount_local,
        opportunity_versions.currency,
        opportunity_versions.close_date,
        opportunity_versions.owner_id,
        opportunity_versions.opportunity_type
    from closed_deals
    inner join opportunity_versions
        on opportunity_versions.opportunity_id = closed_deals.opportunity_id
        and {{ known_at('opportunity_versions', 'closed_deals.known_before') }}
),

later_won_versions as (
    select
        at_close.*,
        later.known_from as changed_at,
        later.source_file,
        later.source_line,
        later.amount_local as later_amount_local,
        later.currency as later_currency,
        later.close_date as later_close_date,
        later.owner_id as later_owner_id,
        later.opportunity_type as later_opportunity_type
    from at_close
    inner join opportunity_versions as later
        on later.opportunity_id = at_close.opportunity_id
        and later.known_from >= at_close.known_before
    left join reversals
        on reversals.employee_id = at_close.employee_id
        and reversals.period_type = at_close.period_type
        and reversals.period_start = at_close.period_start
        and reversals.opportunity_id = at_close.opportunity_id
    where coalesce(later.is_won, false)
        and not later.is_deleted
        and (reversals.reversed_at is null or later.known_from < reversals.reversed_at)
),

field_changes as (
    select
        employee_id, period_type, period_start, opportunity_id, changed_at, source_file, source_line,
        'amount' as change_kind,
        cast(amount_local as varchar) as value_at_close,
        cast(later_amount_local as varchar) as value_after
    from later_won_versions
    where later_amount_local is distinct from amount_local
    union all
    select
        employee_id, period_type, period_start, opportunity_id, changed_at, source_file, source_line,
        'currency', currency, later_currency
    from later_won_versions
    where later_currency is distinct from currency
    union all
    select
        employee_id, period_type, period_start, opportunity_id, changed_at, source_file, source_line,
        'close_date', cast(close_date as varchar), cast(later_close_date as varchar)
    from later_won_versions
    where later_close_date is distinct from close_date
    union all
    select
        employee_id, period_type, period_start, opportunity_id, changed_at, source_file, source_line,
        'owner', owner_id, later_owner_id
    from later_won_versions
    where later_owner_id is distinct from owner_id
    union all
    select
        employee_id, period_type, period_start, opportunity_id, changed_at, source_file, source_line,
        'opportunity_type', opportunity_type, later_opportunity_type
    from later_won_versions
    where later_opportunity_type is distinct from opportunity_type
),

splits_at_close as (
    select
        closed_deals.employee_id,
        closed_deals.period_type,
        closed_deals.period_start,
        split_versions.opportunity_split_id,
        split_versions.split_owner_id,
        split_versions.split_percentage,
        split_versions.is_deleted
    from closed_deals
    inner join split_versions
        on split_versions.opportunity_id = closed_deals.opportunity_id
        and {{ known_at('split_versions', 'closed_deals.known_before') }}
),

split_changes as (
    select
        closed_deals.employee_id,
        closed_deals.period_type,
        closed_deals.period_start,
        closed_deals.opportunity_id,
        later.known_from as changed_at,
        later.source_file,
        later.source_line,
        'splits' as change_kind,
        case
            when splits_at_close.opportunity_split_id is null then null
            else splits_at_close.split_owner_id || ' ' || cast(splits_at_close.split_percentage as varchar) || '%'
                || case when splits_at_close.is_deleted then ' (deleted)' else '' end
        end as value_at_close,
        later.opportunity_split_id || ': ' || later.split_owner_id || ' '
            || cast(later.split_percentage as varchar) || '%'
            || case when later.is_deleted then ' (deleted)' else '' end as value_after
    from closed_deals
    inner join split_versions as later
        on later.opportunity_id = closed_deals.opportunity_id
        and later.known_from >= closed_deals.known_before
    left join splits_at_close
        on splits_at_close.employee_id = closed_deals.employee_id
        and splits_at_close.period_type = closed_deals.period_type
        and splits_at_close.period_start = closed_deals.period_start
        and splits_at_close.opportunity_split_id = later.opportunity_split_id
    left join reversals
        on reversals.employee_id = closed_deals.employee_id
        and reversals.period_type = closed_deals.period_type
        and reversals.period_start = closed_deals.period_start
        and reversals.opportunity_id = closed_deals.opportunity_id
    -- splits deleted with a deleted deal are part of its reversal, not a change to review
    where (reversals.reversed_at is null or later.known_from < reversals.reversed_at)
        and (
            splits_at_close.opportunity_split_id is null
            or later.split_owner_id is distinct from splits_at_close.split_owner_id
            or later.split_percentage is distinct from splits_at_close.split_percentage
            or later.is_deleted is distinct from splits_at_close.is_deleted
        )
),

reversal_changes as (
    select
        employee_id, period_type, period_start, opportunity_id,
        reversed_at as changed_at,
        reversal_source_file as source_file,
        reversal_source_line as source_line,
        'reversed_after_clawback_window' as change_kind,
        'won' as value_at_close,
        reversal_kind || ' ' || cast(days_after_close as varchar) || ' days after close (window '
            || cast(clawback_days as varchar) || ')' as value_after
    from reversals
    where not is_in_clawback_window
),

won_again as (
    select
        reversals.employee_id, reversals.period_type, reversals.period_start, reversals.opportunity_id,
        later.known_from as changed_at,
        later.source_file,
        later.source_line,
        'won_again_after_reversal' as change_kind,
        reversals.reversal_kind as value_at_close,
        'won' as value_after
    from reversals
    inner join opportunity_versions as later
        on later.opportunity_id = reversals.opportunity_id
        and later.known_from > reversals.reversed_at
    where coalesce(later.is_won, false)
        and not later.is_deleted
),

all_changes as (
    select * from field_changes
    union all
    select * from split_changes
    union all
    select * from reversal_changes
    union all
    select * from won_again
),

first_changes as (
    select
        *,
        row_number() over (
            partition by employee_id, period_type, period_start, opportunity_id, change_kind
            order by changed_at, source_file, source_line
        ) as change_rank
    from all_changes
),

final as (
    select
        employee_id,
        period_type,
        period_start,
        opportunity_id,
        change_kind,
        cast(changed_at as date) as first_seen_on,
        value_at_close,
        value_after,
        source_file,
        source_line
    from first_changes
    where change_rank = 1
)

select * from final
