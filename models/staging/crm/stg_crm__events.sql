with source as (
    {{ latest_versions(source('crm', 'event'), ['id']) }}
),

renamed as (
    select
        id as event_id,
        owner_id,
        account_id,
        who_id,
        what_id,
        type as event_type,
        duration_in_minutes,
        activity_date_time as activity_at,
        cast(activity_date_time as date) as activity_date,
        created_date as created_at,
        _source_file as source_file,
        _line as source_line
    from source
    where not _is_deleted
)

select * from renamed
