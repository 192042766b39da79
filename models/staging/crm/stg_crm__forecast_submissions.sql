with source as (
    {{ latest_versions(source('crm', 'forecast_submission'), ['id']) }}
),

renamed as (
    select
        id as forecast_submission_id,
        forecaster_id,
        period_type,
        period_start,
        forecast_category,
        coalesce(currency_iso_code, '{{ var("reporting_currency") }}') as currency,
        amount as amount_local,
        submitted_at,
        _source_file as source_file,
        _line as source_line
    from source
    where not _is_deleted
),

converted as (
    select
        *,
        {{ to_reporting('amount_local', 'currency', 'period_start') }} as amount
    from renamed
)

select * from converted
