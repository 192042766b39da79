with source as (
    {{ latest_versions(source('comp', 'plan_assignment'), ['employee_id', 'effective_from']) }}
),

renamed as (
    select
        employee_id,
        plan_id,
        effective_from,
        effective_to,
        _source_file as source_file,
        _line as source_line
    from source
    where not _is_deleted
)

select * from renamed
