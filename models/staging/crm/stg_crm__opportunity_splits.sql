with source as (
    {{ latest_versions(source('crm', 'opportunity_split'), ['id']) }}
),

renamed as (
    select
        id as opportunity_split_id,
        opportunity_id,
        split_owner_id,
        split_percentage,
        system_modstamp as modified_at
    from source
    where not _is_deleted
)

select * from renamed
