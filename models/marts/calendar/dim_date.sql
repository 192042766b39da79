-- One row per calendar day with its calendar and fiscal periods: the published face of
-- int_dates_spined, the fiscal calendar every model reads.
with dates as (
    select * from {{ ref('int_dates_spined') }}
),

final as (
    select * from dates
)

select * from final
