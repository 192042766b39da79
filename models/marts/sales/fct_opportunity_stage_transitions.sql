-- One row per live opportunity and stage it entered (METRICS.md, Funnel: days in stage runs
-- from the first row entering the stage to the first row entering a stage of a later order).
-- A skipped stage was never entered and has no row; a stage re-entered after a backwards
-- move keeps its first entry (times_entered counts the entries).
with states as (
    select * from {{ ref('int_opportunity_states_spanned') }}
),

opportunities as (
    select * from {{ ref('int_opportunities_owned') }}
),

-- rows that show the opportunity moving into a stage (the before_history stand-in does not)
stage_rows as (
    select
        opportunity_id,
        state_sequence,
        stage_name,
        stage_order,
        stage_category,
        valid_from,
        lag(stage_name) over (
            partition by opportunity_id order by state_sequence
        ) as previous_stage_name
    from states
    where state_source in ('history', 'current')
),

first_entries as (
    select
        opportunity_id,
        stage_name,
        min(stage_order) as stage_order,
        min(stage_category) as stage_category,
        min(state_sequence) as entry_sequence,
        min(valid_from) as entered_at,
        count(case when previous_stage_name is null or previous_stage_name <> stage_name then 1 end)
            as times_entered
    from stage_rows
    group by opportunity_id, stage_name
),

later_rows as (
    select
        first_entries.opportunity_id,
        first_entries.stage_name,
        stage_rows.stage_name as later_stage_name,
        stage_rows.valid_from as later_valid_from,
        row_number() over (
            partition by first_entries.opportunity_id, first_entries.stage_name
            order by stage_rows.state_sequence
        ) as later_rank
    from first_entries
    inner join stage_rows
        on first_entries.opportunity_id = stage_rows.opportunity_id
        and stage_rows.state_sequence > first_entries.entry_sequence
        and stage_rows.stage_order > first_entries.stage_order
),

exits as (
    select
        opportunity_id,
        stage_name,
        later_stage_name as exited_to_stage_name,
        later_valid_from as exited_at
    from later_rows
    where later_rank = 1
),

final as (
    select
        first_entries.opportunity_id || '|' || first_entries.stage_name as opportunity_stage_key,
        first_entries.opportunity_id,
        opportunities.account_id,
        opportunities.owner_id,
        first_entries.stage_name,
        cast(first_entries.stage_order as integer) as stage_order,
        first_entries.stage_category,
        cast(first_entries.times_entered as integer) as times_entered,
        exits.exited_to_stage_name,
        first_entries.stage_name = opportunities.stage_name as is_current_stage,
        opportunities.created_date,
        cast(first_entries.entered_at as timestamp) as entered_at,
        cast(exits.exited_at as timestamp) as exited_at,
        cast(
            {{ dbt.datediff('first_entries.entered_at', 'exits.exited_at', 'second') }} / 86400.0
            as double
        ) as days_in_stage
    from first_entries
    inner join opportunities
        on first_entries.opportunity_id = opportunities.opportunity_id
    left join exits
        on first_entries.opportunity_id = exits.opportunity_id
        and first_entries.stage_name = exits.stage_name
)

select * from final
