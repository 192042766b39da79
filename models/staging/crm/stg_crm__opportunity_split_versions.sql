-- Every version of every opportunity split landed on or before the as-of day (see
-- stg_crm__opportunity_versions for known_from / superseded_at).
with source as (
    select * from {{ source('crm', 'opportunity_split') }}
    where _batch_date <= {{ as_of_date() }}
),

versions as (
    select
        id as opportunity_split_id,
        opportunity_id,
        split_owner_id,
        split_percentage,
        _is_deleted as is_deleted,
        system_modstamp as modified_at,
        _version_ts as known_from,
        lead(_version_ts) over (
            partition by id
            order by _version_ts, _batch_date, _source_file, _line
        ) as superseded_at,
        _batch_date as landed_on,
        _source_file as source_file,
        _line as source_line
    from source
)

select * from versions
