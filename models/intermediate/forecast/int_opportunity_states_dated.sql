-- The state of every live opportunity on every day since it was created, as runs of days: the
-- daily view of int_opportunity_states_spanned under METRICS.md's Pipeline rule (the state on
-- day d is the latest history row at or before d, else the current row; amount and close date
-- as of d; opportunities created on or before d). The state on d is the row whose
-- [valid_from, valid_to] holds d: a consumer joins its own dates, e.g. week ends.
--   * after the latest history row that row stays the state: the current row appended after
--     the history (state_source current, a stage entry for the funnel) is not a state here;
--     without any history the current row is the state throughout;
--   * "at or before d" compares the state's start (UTC) with the end of day d, so of several
--     states on one day the last one (int_opportunity_states_spanned's state_sequence: the
--     latest changed_at, then the greatest history id) is the day's state;
--   * days before created_date have no state.
-- Columns (amount, close date, probability, forecast category, open / won / lost, `amount` in
-- the reporting currency) are the spanned state's.
with states as (
    select * from {{ ref('int_opportunity_states_spanned') }}
),

pipeline_states as (
    select
        *,
        count(opportunity_history_id) over (partition by opportunity_id) as history_rows
    from states
),

last_state_of_each_day as (
    select
        *,
        cast(valid_from as date) as valid_from_date,
        row_number() over (
            partition by opportunity_id, cast(valid_from as date)
            order by state_sequence desc
        ) as rank_in_day
    from pipeline_states
    where state_source <> 'current'
        or history_rows = 0
),

daily_states as (
    select
        opportunity_id,
        case when state_source = 'history' then 'history' else 'current_row' end as state_source,
        opportunity_history_id,
        owner_id,
        account_id,
        opportunity_type,
        stage_name,
        stage_order,
        forecast_category_name,
        probability,
        is_open,
        is_closed,
        is_won,
        currency,
        amount_local,
        amount,
        close_date,
        created_date,
        -- no state before the opportunity was created
        greatest(valid_from_date, created_date) as valid_from,
        cast({{ dbt.dateadd('day', -1, 'lead(valid_from_date) over (partition by opportunity_id order by valid_from_date)') }} as date) as valid_to
    from last_state_of_each_day
    where rank_in_day = 1
),

final as (
    select * from daily_states
    where valid_to is null
        or valid_to >= created_date
)

select * from final
