with source as (
    {{ latest_versions(source('comp', 'plan_assignment'), ['employee_id', 'effective_from']) }}
),

renamed as (
    select
        employee_id,
        plan_id,
        effective_from,
        effective_to
    from source
    where not _is_deleted
)

select * from renamed
