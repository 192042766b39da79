with source as (
    {{ latest_versions(source('comp', 'fx_rate'), ['rate_date', 'currency']) }}
),

renamed as (
    select
        currency,
        rate_date,
        rate_to_reporting,
        _source_file as source_file,
        _line as source_line
    from source
    where not _is_deleted
)

select * from renamed
