with source as (
    {{ latest_versions(source('crm', 'territory'), ['id']) }}
),

renamed as (
    select
        id as territory_id,
        name as territory_name,
        region,
        segment,
        _source_file as source_file,
        _line as source_line
    from source
    where not _is_deleted
)

select * from renamed
