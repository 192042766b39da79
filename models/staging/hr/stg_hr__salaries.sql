-- Restricted: every column (see _hr__models.yml).
with source as (
    {{ latest_versions(source('hr', 'salary'), ['employee_id', 'effective_date']) }}
),

renamed as (
    select
        employee_id,
        currency,
        base_salary,
        ote,
        effective_date,
        _source_file as source_file,
        _line as source_line
    from source
    where not _is_deleted
)

select * from renamed
