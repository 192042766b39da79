-- Every version of the comp closed_period rows landed on or before the as-of day, for reads
-- "as known by the end of day K" (the commission work; see stg_crm__opportunity_versions).
-- Comp rows carry no modification time: a version is known from 00:00 UTC of its landing day.
with source as (
    select * from {{ source('comp', 'closed_period') }}
    where _batch_date <= {{ as_of_date() }}
),

versions as (
    select
        period_start,
        period_type,
        closed_on,
        _is_deleted as is_deleted,
        _version_ts as known_from,
        lead(_version_ts) over (
            partition by period_start, period_type
            order by _version_ts, _batch_date, _source_file, _line
        ) as superseded_at,
        _batch_date as landed_on,
        _source_file as source_file,
        _line as source_line
    from source
)

select * from versions
