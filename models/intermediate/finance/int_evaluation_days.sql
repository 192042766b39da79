-- The days K on which the warehouse reads data "as known on day K" (METRICS.md, Commissions:
-- the versions with system_modstamp, else landing day, on or before K; macro known_at): the
-- evaluation day of every plan period (int_plan_periods_closed) and the as-of day, which is
-- what the warehouse knows now (attainment and coverage read the quota as known then).
-- known_before = K + 1 day, 00:00 UTC.
with periods as (
    select * from {{ ref('int_plan_periods_closed') }}
),

days as (
    select evaluated_on from periods
    union
    select {{ as_of_date() }} as evaluated_on
),

final as (
    select distinct
        cast(evaluated_on as date) as evaluated_on,
        cast({{ dbt.dateadd('day', 1, 'evaluated_on') }} as timestamp) as known_before
    from days
)

select * from final
