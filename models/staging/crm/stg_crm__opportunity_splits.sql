with source as (
    {{ latest_versions(source('crm', 'opportunity_split'), ['id']) }}
),

renamed as (
    select
        id as opportunity_split_id,
        opportunity_id,
        split_owner_id,
        split_percentage,
        system_modstamp as modified_at,
        _source_file as source_file,
        _line as source_line
    from source
    where not _is_deleted
)

select * from renamed
