with source as (
    {{ latest_versions(source('crm', 'opportunity'), ['id']) }}
),

renamed as (
    select
        id as opportunity_id,
        account_id,
        owner_id,
        name as opportunity_name,
        type as opportunity_type,
        lead_source,
        stage_name,
        forecast_category_name,
        probability,
        is_closed,
        is_won,
        coalesce(currency_iso_code, '{{ var("reporting_currency") }}') as currency,
        amount as amount_local,
        close_date,
        created_date as created_at,
        cast(created_date as date) as created_date,
        system_modstamp as modified_at,
        _source_file as source_file,
        _line as source_line
    from source
    where not _is_deleted
),

converted as (
    select
        *,
        {{ to_reporting('amount_local', 'currency', 'close_date') }} as amount
    from renamed
)

select * from converted
