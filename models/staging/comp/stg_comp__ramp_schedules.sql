with source as (
    {{ latest_versions(source('comp', 'ramp_schedule'), ['plan_id', 'tenure_month']) }}
),

renamed as (
    select
        plan_id,
        tenure_month,
        quota_share,
        _source_file as source_file,
        _line as source_line
    from source
    where not _is_deleted
)

select * from renamed
