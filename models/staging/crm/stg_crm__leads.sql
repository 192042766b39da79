with source as (
    {{ latest_versions(source('crm', 'lead'), ['id']) }}
),

renamed as (
    select
        id as lead_id,
        owner_id,
        converted_opportunity_id,
        converted_account_id,
        status as lead_status,
        lead_source,
        is_converted,
        created_date as created_at,
        mql_date as mql_at,
        sql_date as sql_at,
        converted_date,
        system_modstamp as modified_at,
        _source_file as source_file,
        _line as source_line
    from source
    where not _is_deleted
)

select * from renamed
