-- WAPE roll-ups of fct_forecast_accuracy (METRICS.md: roll-ups use WAPE = sum |error| / sum
-- actual) by manager and for the company, per period, week of period and forecast type.
--   manager: the forecasters whose direct HR manager (on the period's last day, or their last
--     day worked when they left during it) is the manager; group_key = the manager's employee id;
--   company: every forecaster with a row; group_key = 'company'.
-- Sums are of the published (cent-rounded) forecaster rows, so the roll-up reproduces from the
-- detail exactly.
with accuracy as (
    select * from {{ ref('fct_forecast_accuracy') }}
),

employees as (
    select * from {{ ref('int_employments') }}
),

grouped_rows as (
    select
        'manager' as level,
        forecaster_manager_employee_id as group_key,
        *
    from accuracy
    where forecaster_manager_employee_id is not null
    union all
    select
        'company' as level,
        'company' as group_key,
        *
    from accuracy
),

rolled_up as (
    select
        level,
        group_key,
        period_type,
        period_start,
        period_end,
        week_of_period,
        forecast_type,
        count(*) as forecaster_count,
        sum(forecast_amount) as forecast_amount,
        sum(actual_amount) as actual_amount,
        sum(error) as error,
        sum(abs(error)) as absolute_error
    from grouped_rows
    group by level, group_key, period_type, period_start, period_end, week_of_period, forecast_type
),

final as (
    select
        rolled_up.level,
        rolled_up.group_key,
        case when rolled_up.level = 'manager' then employees.crm_user_id end as manager_crm_user_id,
        rolled_up.period_type,
        rolled_up.period_start,
        rolled_up.period_end,
        rolled_up.week_of_period,
        rolled_up.forecast_type,
        cast(rolled_up.forecaster_count as integer) as forecaster_count,
        {{ round_money('rolled_up.forecast_amount') }} as forecast_amount,
        {{ round_money('rolled_up.actual_amount') }} as actual_amount,
        {{ round_money('rolled_up.error') }} as error,
        {{ round_money('rolled_up.absolute_error') }} as absolute_error,
        cast(rolled_up.absolute_error as double) / cast(nullif(rolled_up.actual_amount, 0) as double) as wape,
        cast(rolled_up.error as double) / cast(nullif(rolled_up.actual_amount, 0) as double) as bias
    from rolled_up
    left join employees
        on rolled_up.level = 'manager'
        and rolled_up.group_key = employees.employee_id
)

select * from final
