with source as (
    {{ latest_versions(source('crm', 'account_territory'), ['account_id']) }}
),

renamed as (
    select
        account_id,
        territory_id,
        system_modstamp as modified_at,
        _source_file as source_file,
        _line as source_line
    from source
    where not _is_deleted
)

select * from renamed
