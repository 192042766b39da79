with source as (
    {{ latest_versions(source('crm', 'account'), ['id']) }}
),

renamed as (
    select
        id as account_id,
        owner_id,
        name as account_name,
        industry,
        type as account_type,
        billing_country,
        annual_revenue,
        created_date as created_at,
        system_modstamp as modified_at,
        _source_file as source_file,
        _line as source_line
    from source
    where not _is_deleted
)

select * from renamed
