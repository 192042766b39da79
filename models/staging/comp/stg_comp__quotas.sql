with source as (
    {{ latest_versions(source('comp', 'quota'), ['employee_id', 'period_type', 'period_start']) }}
),

renamed as (
    select
        employee_id,
        period_type,
        period_start,
        currency,
        quota_amount as quota_amount_local,
        _source_file as source_file,
        _line as source_line
    from source
    where not _is_deleted
),

converted as (
    select
        *,
        {{ to_reporting('quota_amount_local', 'currency', 'period_start') }} as quota_amount
    from renamed
)

select * from converted
