-- Every version of every HR employee landed on or before the as-of day, for reads "as known
-- by the end of day K" (the commission work). Only the columns that work needs: no names,
-- emails or termination reasons (restricted).
with source as (
    select * from {{ source('hr', 'employee') }}
    where _batch_date <= {{ as_of_date() }}
),

versions as (
    select
        employee_id,
        crm_user_id,
        hire_date,
        termination_date,
        _is_deleted as is_deleted,
        updated_at,
        _version_ts as known_from,
        lead(_version_ts) over (
            partition by employee_id
            order by _version_ts, _batch_date, _source_file, _line
        ) as superseded_at,
        _batch_date as landed_on,
        _source_file as source_file,
        _line as source_line
    from source
)

select * from versions
