-- The state of every live opportunity on every day since it was created, as runs of days
-- (METRICS.md, Pipeline: the state on day d is the latest history row at or before d, else the
-- current row; amount and close date as of d). The state on d is the row whose
-- [valid_from, valid_to] holds d: a consumer joins its own dates, e.g. week ends.
--   * "at or before d" compares the history row's changed_at (UTC) with the end of day d, so
--     of several rows on one day the last one (then the greatest history id) is the day's state;
--   * before the first history row (or with no history at all) the current row stands in;
--   * days before created_date have no state (METRICS.md: opportunities created on or before d);
--   * amount and close date: the history row's own value, else the latest non-null value of an
--     earlier history row of the opportunity, else the current row's;
--   * probability: the history row's own value, else stage_map's default probability of the
--     row's stage, else the current row's;
--   * forecast category: the history row's own value, else the latest non-null value of an
--     earlier history row, else the current row's;
--   * open / won / lost: from stage_map for a history row; the current row's is_closed and
--     is_won flags (authoritative) when the current row stands in.
-- History amounts are in the opportunity's currency: `amount` converts the state's amount at
-- the rate in force on the state's own close date (METRICS.md).
with opportunities as (
    select * from {{ ref('stg_crm__opportunities') }}
),

history as (
    select * from {{ ref('stg_crm__opportunity_history') }}
),

stages as (
    select * from {{ ref('stage_map') }}
),

history_carried as (
    select
        history.opportunity_id,
        history.opportunity_history_id,
        history.changed_at,
        cast(history.changed_at as date) as changed_date,
        history.stage_name,
        coalesce(history.probability, stages.default_probability, opportunities.probability) as probability,
        coalesce(
            last_value(history.forecast_category ignore nulls) over carried,
            opportunities.forecast_category_name
        ) as forecast_category_name,
        coalesce(
            last_value(history.amount_local ignore nulls) over carried,
            opportunities.amount_local
        ) as amount_local,
        coalesce(
            last_value(history.close_date ignore nulls) over carried,
            opportunities.close_date
        ) as close_date,
        stages.is_closed,
        stages.is_won
    from history
    inner join opportunities
        on history.opportunity_id = opportunities.opportunity_id
    left join stages
        on history.stage_name = stages.stage_name
    window carried as (
        partition by history.opportunity_id
        order by history.changed_at, history.opportunity_history_id
        rows between unbounded preceding and current row
    )
),

last_row_of_each_day as (
    select
        *,
        row_number() over (
            partition by opportunity_id, changed_date
            order by changed_at desc, opportunity_history_id desc
        ) as rank_in_day
    from history_carried
),

history_states as (
    select
        opportunity_id,
        'history' as state_source,
        opportunity_history_id,
        stage_name,
        forecast_category_name,
        probability,
        is_closed,
        is_won,
        amount_local,
        close_date,
        changed_date as valid_from,
        cast({{ dbt.dateadd('day', -1, 'lead(changed_date) over (partition by opportunity_id order by changed_date)') }} as date) as valid_to
    from last_row_of_each_day
    where rank_in_day = 1
),

first_history_days as (
    select
        opportunity_id,
        min(changed_date) as first_changed_date
    from history_carried
    group by opportunity_id
),

current_row_states as (
    select
        opportunities.opportunity_id,
        'current_row' as state_source,
        cast(null as varchar) as opportunity_history_id,
        opportunities.stage_name,
        opportunities.forecast_category_name,
        opportunities.probability,
        opportunities.is_closed,
        opportunities.is_won,
        opportunities.amount_local,
        opportunities.close_date,
        opportunities.created_date as valid_from,
        cast({{ dbt.dateadd('day', -1, 'first_history_days.first_changed_date') }} as date) as valid_to
    from opportunities
    left join first_history_days
        on opportunities.opportunity_id = first_history_days.opportunity_id
    where first_history_days.first_changed_date is null
        or opportunities.created_date < first_history_days.first_changed_date
),

unioned_states as (
    select * from history_states
    union all
    select * from current_row_states
),

states as (
    select
        unioned_states.opportunity_id,
        unioned_states.state_source,
        unioned_states.opportunity_history_id,
        opportunities.owner_id,
        opportunities.account_id,
        opportunities.opportunity_type,
        unioned_states.stage_name,
        stages.stage_order,
        unioned_states.forecast_category_name,
        unioned_states.probability,
        not unioned_states.is_closed as is_open,
        unioned_states.is_closed,
        unioned_states.is_won,
        opportunities.currency,
        unioned_states.amount_local,
        unioned_states.close_date,
        opportunities.created_date,
        -- no state before the opportunity was created
        greatest(unioned_states.valid_from, opportunities.created_date) as valid_from,
        unioned_states.valid_to
    from unioned_states
    inner join opportunities
        on unioned_states.opportunity_id = opportunities.opportunity_id
    left join stages
        on unioned_states.stage_name = stages.stage_name
    where unioned_states.valid_to is null
        or unioned_states.valid_to >= opportunities.created_date
),

final as (
    select
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
        -- arguments qualified with the CTE name: the macro's subquery has its own `currency`
        {{ to_reporting('states.amount_local', 'states.currency', 'states.close_date') }} as amount,
        states.close_date,
        states.created_date,
        states.valid_from,
        states.valid_to
    from states
)

select * from final
