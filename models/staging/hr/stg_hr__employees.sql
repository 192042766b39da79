-- full_name, work_email and termination_reason are restricted (see _hr__models.yml).
with source as (
    {{ latest_versions(source('hr', 'employee'), ['employee_id']) }}
),

renamed as (
    select
        employee_id,
        crm_user_id,
        full_name,
        work_email,
        hire_date,
        termination_date,
        termination_type,
        termination_reason,
        coalesce(is_regretted, false) as is_regretted,
        updated_at,
        _source_file as source_file,
        _line as source_line
    from source
    where not _is_deleted
)

select * from renamed
