-- Forecast accuracy per forecaster, period and week of period (METRICS.md, Forecast accuracy).
--   forecast (commit, best_case): the forecaster's latest submission of that category with
--     submitted_at on or before the end of week w (UTC); weeks before the first one have no row;
--   forecast (weighted_pipeline) as of the end of week w = bookings already won in p by then +
--     open pipeline closing in p x probability / 100, both from the opportunities' state on that
--     day (int_opportunity_states_dated) and credited with the current splits;
--   actual: credited bookings in p (int_opportunity_credits, won, close date in p) of the
--     forecaster's scope (int_forecast_scopes: own, team on p's last day, leavers);
--   error = forecast - actual; ape = |error| / actual; accuracy = max(0, 1 - ape);
--   bias = error / actual (the last three null when actual is 0).
-- Only periods whose last day is on or before the as-of day get rows, so every week of a period
-- is there from the first build that shows it (actual still follows later corrections, such as
-- a reversed deal, as credited bookings do).
with submissions as (
    select * from {{ ref('stg_crm__forecast_submissions') }}
),

scopes as (
    select * from {{ ref('int_forecast_scopes') }}
),

credits as (
    select * from {{ ref('int_opportunity_credits') }}
),

states as (
    select * from {{ ref('int_opportunity_states_dated') }}
),

fiscal_periods as (
    select * from {{ ref('int_fiscal_periods') }}
),

reporting_lines as (
    select * from {{ ref('int_reporting_lines') }}
),

employees as (
    select * from {{ ref('int_employments') }}
),

-- weeks of period (METRICS.md): week k covers days 7(k-1) .. 7k-1 from the period's first day
period_weeks as (
    select
        period_type,
        period_start,
        period_end,
        week_of_period,
        min(date_day) as week_start_date,
        max(date_day) as week_end_date
    from fiscal_periods
    group by period_type, period_start, period_end, week_of_period
),

ended_period_weeks as (
    select
        period_weeks.*,
        max(week_of_period) over (partition by period_type, period_start) as weeks_in_period
    from period_weeks
    where period_end <= {{ as_of_date() }}
),

forecasters as (
    select
        forecaster_id,
        forecaster_employee_id,
        period_type,
        period_start,
        period_end,
        cast(count(case when member_relation <> 'self' then 1 end) as integer) as team_member_count
    from scopes
    group by forecaster_id, forecaster_employee_id, period_type, period_start, period_end
),

-- the day the forecaster's own manager is read on: p's last day, or the last day worked when
-- the forecaster left during p
forecaster_anchor_days as (
    select
        forecasters.forecaster_id,
        forecasters.forecaster_employee_id,
        forecasters.period_type,
        forecasters.period_start,
        case
            when employees.termination_date >= forecasters.period_start
                and employees.termination_date < forecasters.period_end
                then employees.termination_date
            else forecasters.period_end
        end as anchor_date
    from forecasters
    inner join employees
        on forecasters.forecaster_employee_id = employees.employee_id
),

-- Choice: the manager roll-up groups forecasters by their direct HR manager on the anchor day
forecaster_managers as (
    select
        forecaster_anchor_days.forecaster_id,
        forecaster_anchor_days.period_type,
        forecaster_anchor_days.period_start,
        reporting_lines.manager_employee_id
    from forecaster_anchor_days
    inner join reporting_lines
        on forecaster_anchor_days.forecaster_employee_id = reporting_lines.report_employee_id
        and reporting_lines.depth = 1
        and forecaster_anchor_days.anchor_date >= reporting_lines.valid_from
        and forecaster_anchor_days.anchor_date <= coalesce(reporting_lines.valid_to, date '9999-12-31')
),

forecaster_weeks as (
    select
        forecasters.forecaster_id,
        forecasters.forecaster_employee_id,
        forecaster_managers.manager_employee_id as forecaster_manager_employee_id,
        forecasters.team_member_count,
        ended_period_weeks.period_type,
        ended_period_weeks.period_start,
        ended_period_weeks.period_end,
        ended_period_weeks.week_of_period,
        ended_period_weeks.week_start_date,
        ended_period_weeks.week_end_date,
        ended_period_weeks.weeks_in_period
    from forecasters
    inner join ended_period_weeks
        on forecasters.period_type = ended_period_weeks.period_type
        and forecasters.period_start = ended_period_weeks.period_start
    left join forecaster_managers
        on forecasters.forecaster_id = forecaster_managers.forecaster_id
        and forecasters.period_type = forecaster_managers.period_type
        and forecasters.period_start = forecaster_managers.period_start
),

ranked_submissions as (
    select
        forecaster_weeks.forecaster_id,
        forecaster_weeks.period_type,
        forecaster_weeks.period_start,
        forecaster_weeks.week_of_period,
        submissions.forecast_category as forecast_type,
        submissions.forecast_submission_id,
        submissions.submitted_at,
        submissions.amount,
        -- Choice: two submissions at the same instant: the greatest submission id counts
        row_number() over (
            partition by
                forecaster_weeks.forecaster_id,
                forecaster_weeks.period_type,
                forecaster_weeks.period_start,
                forecaster_weeks.week_of_period,
                submissions.forecast_category
            order by submissions.submitted_at desc, submissions.forecast_submission_id desc
        ) as recency_rank
    from forecaster_weeks
    inner join submissions
        on forecaster_weeks.forecaster_id = submissions.forecaster_id
        and forecaster_weeks.period_type = submissions.period_type
        and forecaster_weeks.period_start = submissions.period_start
        and submissions.submitted_at < cast({{ dbt.dateadd('day', 1, 'forecaster_weeks.week_end_date') }} as timestamp)
),

submitted_forecasts as (
    select * from ranked_submissions
    where recency_rank = 1
),

-- credited bookings of every CRM user in every month and quarter
user_period_bookings as (
    select
        credits.crm_user_id,
        fiscal_periods.period_type,
        fiscal_periods.period_start,
        sum(credits.credited_amount) as booked_amount
    from credits
    inner join fiscal_periods
        on credits.close_date = fiscal_periods.date_day
    where credits.is_won
    group by credits.crm_user_id, fiscal_periods.period_type, fiscal_periods.period_start
),

actuals as (
    select
        scopes.forecaster_id,
        scopes.period_type,
        scopes.period_start,
        {{ money('sum(user_period_bookings.booked_amount)') }} as actual_amount
    from scopes
    inner join user_period_bookings
        on scopes.member_crm_user_id = user_period_bookings.crm_user_id
        and scopes.period_type = user_period_bookings.period_type
        and scopes.period_start = user_period_bookings.period_start
    group by scopes.forecaster_id, scopes.period_type, scopes.period_start
),

-- every CRM user's credit of the opportunities won or open on each week end with a close
-- date (as of that day) in the period
credited_week_states as (
    select
        ended_period_weeks.period_type,
        ended_period_weeks.period_start,
        ended_period_weeks.week_of_period,
        credits.crm_user_id,
        states.is_won,
        states.is_open,
        states.probability,
        {{ money('states.amount * credits.split_percentage * 0.01') }} as credited_amount
    from ended_period_weeks
    inner join states
        on ended_period_weeks.week_end_date >= states.valid_from
        and ended_period_weeks.week_end_date <= coalesce(states.valid_to, date '9999-12-31')
        and states.close_date >= ended_period_weeks.period_start
        and states.close_date <= ended_period_weeks.period_end
    inner join credits
        on states.opportunity_id = credits.opportunity_id
    where states.is_won or states.is_open
),

user_week_pipeline as (
    select
        crm_user_id,
        period_type,
        period_start,
        week_of_period,
        sum(case when is_won then credited_amount end) as won_amount,
        sum(case when is_open then {{ money('credited_amount * probability * 0.01') }} end) as weighted_open_amount
    from credited_week_states
    group by crm_user_id, period_type, period_start, week_of_period
),

weighted_forecasts as (
    select
        scopes.forecaster_id,
        scopes.period_type,
        scopes.period_start,
        user_week_pipeline.week_of_period,
        {{ money('coalesce(sum(user_week_pipeline.won_amount), 0)') }} as won_amount,
        {{ money('coalesce(sum(user_week_pipeline.weighted_open_amount), 0)') }} as weighted_open_amount
    from scopes
    inner join user_week_pipeline
        on scopes.member_crm_user_id = user_week_pipeline.crm_user_id
        and scopes.period_type = user_week_pipeline.period_type
        and scopes.period_start = user_week_pipeline.period_start
    group by scopes.forecaster_id, scopes.period_type, scopes.period_start, user_week_pipeline.week_of_period
),

forecast_rows as (
    select
        forecaster_weeks.*,
        submitted_forecasts.forecast_type,
        submitted_forecasts.forecast_submission_id,
        submitted_forecasts.submitted_at,
        {{ money('submitted_forecasts.amount') }} as forecast_amount,
        cast(null as decimal(38, 10)) as pipeline_won_amount,
        cast(null as decimal(38, 10)) as pipeline_weighted_open_amount
    from forecaster_weeks
    inner join submitted_forecasts
        on forecaster_weeks.forecaster_id = submitted_forecasts.forecaster_id
        and forecaster_weeks.period_type = submitted_forecasts.period_type
        and forecaster_weeks.period_start = submitted_forecasts.period_start
        and forecaster_weeks.week_of_period = submitted_forecasts.week_of_period
    union all
    select
        forecaster_weeks.*,
        'weighted_pipeline' as forecast_type,
        cast(null as varchar) as forecast_submission_id,
        cast(null as timestamp) as submitted_at,
        {{ money('coalesce(weighted_forecasts.won_amount, 0) + coalesce(weighted_forecasts.weighted_open_amount, 0)') }} as forecast_amount,
        {{ money('coalesce(weighted_forecasts.won_amount, 0)') }} as pipeline_won_amount,
        {{ money('coalesce(weighted_forecasts.weighted_open_amount, 0)') }} as pipeline_weighted_open_amount
    from forecaster_weeks
    left join weighted_forecasts
        on forecaster_weeks.forecaster_id = weighted_forecasts.forecaster_id
        and forecaster_weeks.period_type = weighted_forecasts.period_type
        and forecaster_weeks.period_start = weighted_forecasts.period_start
        and forecaster_weeks.week_of_period = weighted_forecasts.week_of_period
),

scored as (
    select
        forecast_rows.*,
        {{ money('coalesce(actuals.actual_amount, 0)') }} as actual_amount,
        {{ money('forecast_rows.forecast_amount - coalesce(actuals.actual_amount, 0)') }} as error_amount
    from forecast_rows
    left join actuals
        on forecast_rows.forecaster_id = actuals.forecaster_id
        and forecast_rows.period_type = actuals.period_type
        and forecast_rows.period_start = actuals.period_start
),

final as (
    select
        forecaster_id,
        forecaster_employee_id,
        forecaster_manager_employee_id,
        team_member_count > 0 as is_manager,
        team_member_count,
        period_type,
        period_start,
        period_end,
        cast(week_of_period as integer) as week_of_period,
        cast(weeks_in_period as integer) as weeks_in_period,
        week_of_period = weeks_in_period as is_final_week,
        week_start_date,
        week_end_date,
        forecast_type,
        forecast_submission_id,
        submitted_at,
        {{ round_money('forecast_amount') }} as forecast_amount,
        {{ round_money('pipeline_won_amount') }} as pipeline_won_amount,
        {{ round_money('pipeline_weighted_open_amount') }} as pipeline_weighted_open_amount,
        {{ round_money('actual_amount') }} as actual_amount,
        {{ round_money('error_amount') }} as error,
        cast(abs(error_amount) as double) / cast(nullif(actual_amount, 0) as double) as ape,
        case
            when actual_amount <> 0
                then greatest(cast(0 as double), 1 - cast(abs(error_amount) as double) / cast(actual_amount as double))
        end as accuracy,
        cast(error_amount as double) / cast(nullif(actual_amount, 0) as double) as bias
    from scored
)

select * from final
