with source as (
    {{ latest_versions(source('comp', 'comp_plan'), ['plan_id']) }}
),

renamed as (
    select
        plan_id,
        name as plan_name,
        period_type,
        currency,
        coalesce(clawback_days, 90) as clawback_days,
        payout_cap as payout_cap_local,
        _source_file as source_file,
        _line as source_line
    from source
    where not _is_deleted
)

select * from renamed
