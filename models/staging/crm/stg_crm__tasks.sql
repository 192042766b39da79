with source as (
    {{ latest_versions(source('crm', 'task'), ['id']) }}
),

renamed as (
    select
        id as task_id,
        owner_id,
        account_id,
        who_id,
        what_id,
        type as task_type,
        status as task_status,
        activity_date,
        created_date as created_at,
        _source_file as source_file,
        _line as source_line
    from source
    where not _is_deleted
)

select * from renamed
