-- Opportunity stage funnel per cohort (month of created_date) and segment (METRICS.md,
-- Funnel): an opportunity reached stage k when its history or current stage shows a stage of
-- order >= k, so a skipped stage counts as passed; conversion k -> k+1 = reached(k+1) /
-- reached(k). Segment 'all' adds up every segment.
with opportunities as (
    select * from {{ ref('int_opportunities_owned') }}
),

states as (
    select * from {{ ref('int_opportunity_states_spanned') }}
),

transitions as (
    select * from {{ ref('fct_opportunity_stage_transitions') }}
),

accounts as (
    select * from {{ ref('int_accounts_assigned') }}
),

stages as (
    select * from {{ ref('stage_map') }}
),

calendar as (
    select * from {{ ref('int_dates_spined') }}
),

-- the funnel's steps: every open stage, then the won stage (a lost stage ends a deal; it is
-- not a step passed)
funnel_stages as (
    select
        stage_name,
        stage_order,
        stage_category,
        lead(stage_name) over (order by stage_order, stage_name) as next_stage_name
    from stages
    where stage_category in ('open', 'won')
),

-- the furthest stage each opportunity is shown in; lost rows show no progress, and a Closed
-- Won row of a deal reversed later still proves every open stage was passed
progress as (
    select
        opportunity_id,
        max(stage_order) as furthest_order
    from states
    where stage_category in ('open', 'won')
    group by opportunity_id
),

stage_bounds as (
    select
        max(case when stage_category = 'open' then stage_order end) as last_open_order,
        min(case when stage_category = 'won' then stage_order end) as won_order
    from funnel_stages
),

cohorts as (
    select
        opportunities.opportunity_id,
        calendar.month_start as cohort_month,
        coalesce(accounts.segment, 'unassigned') as segment,
        -- won now (METRICS.md: the latest version) reaches the won stage and so every stage
        -- before it; anything else reaches at most the last open stage
        case
            when opportunities.is_won
                then greatest(coalesce(progress.furthest_order, 0), stage_bounds.won_order)
            when progress.furthest_order > stage_bounds.last_open_order then stage_bounds.last_open_order
            else progress.furthest_order
        end as furthest_order
    from opportunities
    cross join stage_bounds
    inner join calendar
        on opportunities.created_date = calendar.date_day
    left join accounts
        on opportunities.account_id = accounts.account_id
    left join progress
        on opportunities.opportunity_id = progress.opportunity_id
),

cohort_segments as (
    select opportunity_id, cohort_month, segment, furthest_order from cohorts
    union all
    select opportunity_id, cohort_month, 'all' as segment, furthest_order from cohorts
),

reached as (
    select
        cohort_segments.cohort_month,
        cohort_segments.segment,
        funnel_stages.stage_name,
        cohort_segments.opportunity_id,
        coalesce(cohort_segments.furthest_order >= funnel_stages.stage_order, false) as has_reached
    from cohort_segments
    cross join funnel_stages
),

stage_counts as (
    select
        cohort_month,
        segment,
        stage_name,
        count(*) as opportunities,
        count(case when has_reached then 1 end) as reached_count
    from reached
    group by cohort_month, segment, stage_name
),

stage_days as (
    select
        cohort_segments.cohort_month,
        cohort_segments.segment,
        transitions.stage_name,
        count(transitions.days_in_stage) as days_in_stage_measured,
        -- from whole seconds, summed exactly, so the mean does not depend on the order a
        -- parallel aggregate adds floating-point numbers in (rebuilds give identical marts)
        sum(round(transitions.days_in_stage * 86400)) / count(transitions.days_in_stage) / 86400.0
            as avg_days_in_stage,
        percentile_cont(0.5) within group (order by transitions.days_in_stage) as median_days_in_stage
    from transitions
    inner join cohort_segments
        on transitions.opportunity_id = cohort_segments.opportunity_id
    where transitions.days_in_stage is not null
    group by cohort_segments.cohort_month, cohort_segments.segment, transitions.stage_name
),

final as (
    select
        cast(stage_counts.cohort_month as date) as cohort_month,
        stage_counts.segment,
        stage_counts.stage_name,
        cast(funnel_stages.stage_order as integer) as stage_order,
        funnel_stages.next_stage_name,
        cast(stage_counts.opportunities as integer) as opportunities,
        cast(stage_counts.reached_count as integer) as reached_count,
        cast(next_counts.reached_count as integer) as next_stage_reached_count,
        cast(
            case
                when stage_counts.reached_count > 0 and next_counts.reached_count is not null
                    then next_counts.reached_count * 1.0 / stage_counts.reached_count
            end as double
        ) as conversion_rate,
        cast(coalesce(stage_days.days_in_stage_measured, 0) as integer) as days_in_stage_measured,
        cast(stage_days.avg_days_in_stage as double) as avg_days_in_stage,
        cast(stage_days.median_days_in_stage as double) as median_days_in_stage
    from stage_counts
    inner join funnel_stages
        on stage_counts.stage_name = funnel_stages.stage_name
    left join stage_counts as next_counts
        on stage_counts.cohort_month = next_counts.cohort_month
        and stage_counts.segment = next_counts.segment
        and funnel_stages.next_stage_name = next_counts.stage_name
    left join stage_days
        on stage_counts.cohort_month = stage_days.cohort_month
        and stage_counts.segment = stage_days.segment
        and stage_counts.stage_name = stage_days.stage_name
)

select * from final
