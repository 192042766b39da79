with source as (
    {{ latest_versions(source('crm', 'account_territory'), ['account_id']) }}
),

renamed as (
    select
        account_id,
        territory_id,
        system_modstamp as modified_at
    from source
    where not _is_deleted
)

select * from renamed
