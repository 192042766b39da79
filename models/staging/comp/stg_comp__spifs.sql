-- SPIF amounts convert at each deal's close date (METRICS.md), so they stay in their
-- own currency here.
with source as (
    {{ latest_versions(source('comp', 'spif'), ['spif_id']) }}
),

renamed as (
    select
        spif_id,
        name as spif_name,
        opportunity_type,
        currency,
        amount_per_deal as amount_per_deal_local,
        start_date,
        end_date,
        _source_file as source_file,
        _line as source_line
    from source
    where not _is_deleted
)

select * from renamed
