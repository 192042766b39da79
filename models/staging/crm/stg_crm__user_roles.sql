with source as (
    {{ latest_versions(source('crm', 'user_role'), ['id']) }}
),

renamed as (
    select
        id as user_role_id,
        parent_role_id,
        name as user_role_name,
        _source_file as source_file,
        _line as source_line
    from source
    where not _is_deleted
)

select * from renamed
