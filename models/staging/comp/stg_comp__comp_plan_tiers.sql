with source as (
    {{ latest_versions(source('comp', 'comp_plan_tier'), ['plan_id', 'attainment_from']) }}
),

renamed as (
    select
        plan_id,
        attainment_from,
        attainment_to,
        rate,
        _source_file as source_file,
        _line as source_line
    from source
    where not _is_deleted
)

select * from renamed
