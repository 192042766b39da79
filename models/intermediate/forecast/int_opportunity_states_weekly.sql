-- The state of opportunities on every weekly pipeline snapshot date (int_pipeline_snapshot_dates;
-- METRICS.md, Pipeline: the state on d is the latest history row at or before d, else the
-- current row; opportunities created on or before d; amount and close date as of d).
-- Kept: the opportunities open on the snapshot date, and those closed (won or lost) whose close
-- date as of the snapshot is in or after the fiscal quarter of the snapshot, so the bookings
-- already won in the current and later periods can be read next to the open pipeline.
with states as (
    select * from {{ ref('int_opportunity_states_dated') }}
),

snapshot_dates as (
    select * from {{ ref('int_pipeline_snapshot_dates') }}
),

final as (
    select
        snapshot_dates.snapshot_date,
        snapshot_dates.week_end_date,
        snapshot_dates.is_week_complete,
        states.opportunity_id,
        states.state_source,
        states.opportunity_history_id,
        states.owner_id,
        states.account_id,
        states.opportunity_type,
        states.stage_name,
        states.stage_order,
        states.forecast_category_name,
        states.probability,
        states.is_open,
        states.is_closed,
        states.is_won,
        states.currency,
        states.amount_local,
        states.amount,
        states.close_date,
        states.created_date
    from snapshot_dates
    inner join states
        on snapshot_dates.snapshot_date >= states.valid_from
        and snapshot_dates.snapshot_date <= coalesce(states.valid_to, date '9999-12-31')
    where states.is_open
        or states.close_date >= snapshot_dates.quarter_start
)

select * from final
