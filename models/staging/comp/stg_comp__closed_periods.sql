with source as (
    {{ latest_versions(source('comp', 'closed_period'), ['period_start', 'period_type']) }}
),

renamed as (
    select
        period_start,
        period_type,
        closed_on,
        _batch_date as landed_on,
        _source_file as source_file,
        _line as source_line
    from source
    where not _is_deleted
)

select * from renamed
