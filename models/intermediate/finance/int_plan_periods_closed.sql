-- Every fiscal month and quarter that can be a plan period (METRICS.md, Commissions), the day
-- it closes and the day whose data its commission lines are computed from.
--   * A period closes on its last day, or on the later closed_on of a closed_period row (one
--     without period_type applies to both period types starting that day). Only the version
--     of a closed_period row known by the end of the period's last day counts; a row (or a
--     changed version) first seen later has no effect and is counted in
--     ignored_closed_period_rows for the warning test.
--   * A closed period's lines are what the data known by the end of its close day gives: the
--     versions with known_from < known_before (close day + 1, 00:00 UTC). Choice: a period
--     that closed before the warehouse's history starts (the day all three sources have
--     landed) is read as known at the end of that first day - the first full extracts are the
--     earliest state there is.
--   * A period that has not closed by the as-of day is provisional: read as of the as-of day.
with fiscal_periods as (
    select * from {{ ref('int_fiscal_periods') }}
),

closed_period_versions as (
    select * from {{ ref('stg_comp__closed_period_versions') }}
),

opportunity_versions as (
    select * from {{ ref('stg_crm__opportunity_versions') }}
),

assignment_versions as (
    select * from {{ ref('stg_comp__plan_assignment_versions') }}
),

employee_versions as (
    select * from {{ ref('stg_hr__employee_versions') }}
),

history as (
    select
        greatest(
            (select min(landed_on) from opportunity_versions),
            (select min(landed_on) from assignment_versions),
            (select min(landed_on) from employee_versions)
        ) as history_start,
        (select min(effective_from) from assignment_versions) as first_plan_day
),

calendar_periods as (
    select distinct
        period_type,
        period_start,
        period_end
    from fiscal_periods
),

plan_periods as (
    -- Periods from the first plan assignment to the as-of day.
    select
        calendar_periods.*,
        history.history_start,
        cast({{ dbt.dateadd('day', 1, 'calendar_periods.period_end') }} as timestamp) as last_day_known_before
    from calendar_periods
    cross join history
    where calendar_periods.period_start <= {{ as_of_date() }}
        and calendar_periods.period_end >= history.first_plan_day
),

closed_period_rows as (
    -- closed_period versions matching each period, with whether each was known by the end of
    -- the period's last day (the one that counts) or first seen later (no effect).
    select
        plan_periods.period_type,
        plan_periods.period_start,
        closed_period_versions.closed_on,
        closed_period_versions.is_deleted,
        {{ known_at('closed_period_versions', 'plan_periods.last_day_known_before') }} as counts,
        closed_period_versions.known_from >= plan_periods.last_day_known_before as is_late
    from plan_periods
    inner join closed_period_versions
        on closed_period_versions.period_start = plan_periods.period_start
        and coalesce(closed_period_versions.period_type, plan_periods.period_type) = plan_periods.period_type
),

counted_rows as (
    select * from closed_period_rows where counts
),

late_rows as (
    -- A late version is only news when it differs from the version that counts (a re-send
    -- of the same row is harmless).
    select closed_period_rows.*
    from closed_period_rows
    where closed_period_rows.is_late
        and not exists (
            select 1
            from counted_rows
            where counted_rows.period_type = closed_period_rows.period_type
                and counted_rows.period_start = closed_period_rows.period_start
                and counted_rows.closed_on = closed_period_rows.closed_on
                and counted_rows.is_deleted = closed_period_rows.is_deleted
        )
),

closings as (
    select
        plan_periods.period_type,
        plan_periods.period_start,
        (
            select max(counted_rows.closed_on)
            from counted_rows
            where counted_rows.period_type = plan_periods.period_type
                and counted_rows.period_start = plan_periods.period_start
                and not counted_rows.is_deleted
        ) as closed_on,
        (
            select count(*)
            from late_rows
            where late_rows.period_type = plan_periods.period_type
                and late_rows.period_start = plan_periods.period_start
        ) as ignored_closed_period_rows
    from plan_periods
),

closes as (
    select
        plan_periods.period_type,
        plan_periods.period_start,
        plan_periods.period_end,
        closings.closed_on,
        greatest(plan_periods.period_end, coalesce(closings.closed_on, plan_periods.period_end)) as closes_on,
        coalesce(closings.ignored_closed_period_rows, 0) as ignored_closed_period_rows,
        plan_periods.history_start
    from plan_periods
    left join closings
        on plan_periods.period_type = closings.period_type
        and plan_periods.period_start = closings.period_start
),

evaluated as (
    select
        *,
        closes_on <= {{ as_of_date() }} as is_closed,
        case
            when closes_on <= {{ as_of_date() }} then greatest(closes_on, history_start)
            else {{ as_of_date() }}
        end as evaluated_on
    from closes
),

final as (
    select
        cast(period_type as varchar) as period_type,
        cast(period_start as date) as period_start,
        cast(period_end as date) as period_end,
        cast(closed_on as date) as closed_on,
        cast(closes_on as date) as closes_on,
        is_closed,
        cast(evaluated_on as date) as evaluated_on,
        cast({{ dbt.dateadd('day', 1, 'evaluated_on') }} as timestamp) as known_before,
        cast(history_start as date) as history_start,
        cast(ignored_closed_period_rows as integer) as ignored_closed_period_rows
    from evaluated
)

select * from final
