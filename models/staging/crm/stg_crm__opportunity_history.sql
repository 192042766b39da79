-- Amounts stay in the opportunity's currency here: history rows carry no currency of their
-- own, so conversion happens where they meet the opportunity (intermediate models).
with source as (
    {{ latest_versions(source('crm', 'opportunity_history'), ['id']) }}
),

renamed as (
    select
        id as opportunity_history_id,
        opportunity_id,
        stage_name,
        forecast_category,
        probability,
        amount as amount_local,
        close_date,
        created_date as changed_at,
        _source_file as source_file,
        _line as source_line
    from source
    where not _is_deleted
)

select * from renamed
