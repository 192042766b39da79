-- The states a live opportunity went through and the span of time each held, from
-- opportunity_history plus the opportunity's current row: the one opportunity state history.
-- Its daily view, int_opportunity_states_dated, applies METRICS.md's Pipeline rule (the state
-- on d is the latest history row at or before d, else the current row); the funnel marts read
-- the stage entries here (METRICS.md, Funnel: a stage reached in the history or the current
-- stage).
--
-- state_source:
--   history          one row per history row, from its changed_at;
--   current          the current row, appended when the history lacks the current stage (no
--                    history at all: from created_at; otherwise the latest history row's stage
--                    differs from the current one: from the later of the opportunity's last
--                    modification and the latest history row);
--   before_history   the current row standing in for the time between created_at and the
--                    first history row (METRICS.md "else the current row"); it shows a state,
--                    not a stage entry, and transitions ignore it.
-- state_sequence orders the states: by valid_from, then before_history, history, current, then
-- the history id, so of several history rows at one time the greatest id is the later one.
-- Columns a history row lacks (history columns are optional):
--   * amount, close date and forecast category carry the latest non-null value of an earlier
--     row, else the current row's;
--   * probability: the history row's own value, else stage_map's default probability of the
--     row's stage, else the current row's;
--   * open / won / lost: from stage_map for a history row; the current row's is_closed and
--     is_won flags (authoritative) for the current row's own states.
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

live_history as (
    select
        history.opportunity_id,
        history.opportunity_history_id,
        history.stage_name,
        history.forecast_category as forecast_category_name,
        coalesce(history.probability, stages.default_probability, opportunities.probability) as probability,
        stages.is_closed,
        stages.is_won,
        history.amount_local,
        history.close_date,
        history.changed_at
    from history
    inner join opportunities
        on history.opportunity_id = opportunities.opportunity_id
    left join stages
        on history.stage_name = stages.stage_name
),

ranked_history as (
    select
        live_history.*,
        row_number() over (
            partition by opportunity_id
            order by changed_at desc, opportunity_history_id desc
        ) as recency_rank
    from live_history
),

history_bounds as (
    select
        opportunity_id,
        min(changed_at) as first_changed_at,
        max(changed_at) as last_changed_at,
        -- the stage of the latest history row (ties: the greatest history id)
        max(case when recency_rank = 1 then stage_name end) as last_stage_name
    from ranked_history
    group by opportunity_id
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
        changed_at as valid_from
    from live_history
),

current_states as (
    select
        opportunities.opportunity_id,
        'current' as state_source,
        cast(null as varchar) as opportunity_history_id,
        opportunities.stage_name,
        opportunities.forecast_category_name,
        opportunities.probability,
        opportunities.is_closed,
        opportunities.is_won,
        opportunities.amount_local,
        opportunities.close_date,
        case
            when history_bounds.opportunity_id is null then opportunities.created_at
            else greatest(
                coalesce(opportunities.modified_at, history_bounds.last_changed_at),
                history_bounds.last_changed_at
            )
        end as valid_from
    from opportunities
    left join history_bounds
        on opportunities.opportunity_id = history_bounds.opportunity_id
    where history_bounds.opportunity_id is null
        or history_bounds.last_stage_name <> opportunities.stage_name
),

before_history_states as (
    select
        opportunities.opportunity_id,
        'before_history' as state_source,
        cast(null as varchar) as opportunity_history_id,
        opportunities.stage_name,
        opportunities.forecast_category_name,
        opportunities.probability,
        opportunities.is_closed,
        opportunities.is_won,
        opportunities.amount_local,
        opportunities.close_date,
        opportunities.created_at as valid_from
    from opportunities
    inner join history_bounds
        on opportunities.opportunity_id = history_bounds.opportunity_id
    where opportunities.created_at < history_bounds.first_changed_at
),

states as (
    select * from before_history_states
    union all
    select * from history_states
    union all
    select * from current_states
),

sequenced as (
    select
        states.*,
        row_number() over (
            partition by states.opportunity_id
            order by
                states.valid_from,
                case states.state_source when 'before_history' then 0 when 'history' then 1 else 2 end,
                states.opportunity_history_id
        ) as state_sequence
    from states
),

spanned as (
    select
        sequenced.opportunity_id,
        sequenced.state_sequence,
        sequenced.state_source,
        sequenced.opportunity_history_id,
        opportunities.owner_id,
        opportunities.account_id,
        opportunities.opportunity_type,
        sequenced.stage_name,
        -- carry the last known value over history rows that lack it
        coalesce(
            last_value(sequenced.forecast_category_name ignore nulls) over carried,
            opportunities.forecast_category_name
        ) as forecast_category_name,
        sequenced.probability,
        sequenced.is_closed,
        sequenced.is_won,
        opportunities.currency,
        coalesce(
            last_value(sequenced.amount_local ignore nulls) over carried,
            opportunities.amount_local
        ) as amount_local,
        coalesce(
            last_value(sequenced.close_date ignore nulls) over carried,
            opportunities.close_date
        ) as close_date,
        opportunities.created_at,
        opportunities.created_date,
        sequenced.valid_from,
        lead(sequenced.valid_from) over (
            partition by sequenced.opportunity_id order by sequenced.state_sequence
        ) as valid_to
    from sequenced
    inner join opportunities
        on sequenced.opportunity_id = opportunities.opportunity_id
    window carried as (
        partition by sequenced.opportunity_id
        order by sequenced.state_sequence
        rows between unbounded preceding and current row
    )
),

final as (
    select
        spanned.opportunity_id,
        spanned.state_sequence,
        spanned.state_source,
        spanned.opportunity_history_id,
        spanned.owner_id,
        spanned.account_id,
        spanned.opportunity_type,
        spanned.stage_name,
        stages.stage_order,
        stages.stage_category,
        spanned.forecast_category_name,
        spanned.probability,
        not spanned.is_closed as is_open,
        spanned.is_closed,
        spanned.is_won,
        spanned.currency,
        spanned.amount_local,
        -- arguments qualified with the CTE name: the macro's subquery has its own `currency`
        {{ to_reporting('spanned.amount_local', 'spanned.currency', 'spanned.close_date') }} as amount,
        spanned.close_date,
        spanned.created_at,
        spanned.created_date,
        spanned.valid_from,
        spanned.valid_to
    from spanned
    left join stages
        on spanned.stage_name = stages.stage_name
)

select * from final
