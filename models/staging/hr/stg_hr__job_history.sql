with source as (
    {{ latest_versions(source('hr', 'job_history'), ['employee_id', 'effective_date']) }}
),

renamed as (
    select
        employee_id,
        manager_employee_id,
        territory_id,
        role,
        team,
        coalesce(fte, 1) as fte,
        effective_date,
        end_date,
        _source_file as source_file,
        _line as source_line
    from source
    where not _is_deleted
)

select * from renamed
