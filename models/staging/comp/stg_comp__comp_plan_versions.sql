-- Every version of the comp incentive plans (clawback_days defaults to 90) landed on or before
-- the as-of day, for reads "as known by the end of day K" (the commission work; see
-- stg_crm__opportunity_versions). Comp rows carry no modification time: a version is known
-- from 00:00 UTC of its landing day.
with source as (
    select * from {{ source('comp', 'comp_plan') }}
    where _batch_date <= {{ as_of_date() }}
),

versions as (
    select
        plan_id,
        name as plan_name,
        period_type,
        currency,
        coalesce(clawback_days, 90) as clawback_days,
        payout_cap as payout_cap_local,
        _is_deleted as is_deleted,
        _version_ts as known_from,
        lead(_version_ts) over (
            partition by plan_id
            order by _version_ts, _batch_date, _source_file, _line
        ) as superseded_at,
        _batch_date as landed_on,
        _source_file as source_file,
        _line as source_line
    from source
)

select * from versions
