-- FX rates as known at each evaluation day of the plan periods (int_plan_periods_closed): one
-- row per evaluation day, currency and rate date, with the day the next known rate takes
-- over, so "the rate in force on day d as known at K" (METRICS.md: the latest rate on or
-- before d) is the row with rate_date <= d < next_rate_date. The reporting currency needs no
-- rate and has none here.
with evaluation_days as (
    select * from {{ ref('int_evaluation_days') }}
),

fx_rate_versions as (
    select * from {{ ref('stg_comp__fx_rate_versions') }}
),

known_rates as (
    select
        evaluation_days.evaluated_on,
        fx_rate_versions.currency,
        fx_rate_versions.rate_date,
        fx_rate_versions.rate_to_reporting
    from evaluation_days
    inner join fx_rate_versions
        on {{ known_at('fx_rate_versions', 'evaluation_days.known_before') }}
    where not fx_rate_versions.is_deleted
        and fx_rate_versions.rate_to_reporting is not null
),

final as (
    select
        evaluated_on,
        currency,
        rate_date,
        lead(rate_date) over (partition by evaluated_on, currency order by rate_date) as next_rate_date,
        rate_to_reporting
    from known_rates
)

select * from final
