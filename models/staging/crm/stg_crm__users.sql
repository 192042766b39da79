with source as (
    {{ latest_versions(source('crm', 'user'), ['id']) }}
),

renamed as (
    select
        id as user_id,
        user_role_id,
        manager_id as manager_user_id,
        name as user_name,
        email,
        is_active,
        created_date as created_at,
        system_modstamp as modified_at,
        _source_file as source_file,
        _line as source_line
    from source
    where not _is_deleted
)

select * from renamed
