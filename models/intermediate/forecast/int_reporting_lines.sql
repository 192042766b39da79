-- The HR management tree read transitively (METRICS.md: the management tree comes from HR
-- job_history `manager_employee_id`; CRM user.manager_id is informational only), as intervals:
-- one row per (manager, report, depth) and run of days on which the manager is above the
-- report, `depth` levels up (1 = direct manager). "Every employee below m on day d" is
--   report_employee_id where manager_employee_id = m
--     and d between valid_from and coalesce(valid_to, date '9999-12-31').
-- A report's manager on a day is the manager of the job the report holds that day
-- (int_employee_jobs_spanned, the one job rule), so a line through a manager who left ends on
-- the manager's last day.
with recursive

jobs as (
    select * from {{ ref('int_employee_jobs_spanned') }}
),

crm_user_employees as (
    select * from {{ ref('int_crm_user_employees') }}
),

direct_lines as (
    select
        manager_employee_id,
        employee_id as report_employee_id,
        span_start as valid_from,
        coalesce(span_end, date '9999-12-31') as valid_to
    from jobs
    where manager_employee_id is not null
        and manager_employee_id <> employee_id
),

lines_at_any_depth as (
    select
        manager_employee_id,
        report_employee_id,
        1 as depth,
        valid_from,
        valid_to
    from direct_lines
    where valid_from <= valid_to

    union all

    -- one level up: the manager's own manager, on the days both lines hold
    select
        direct_lines.manager_employee_id,
        lines_at_any_depth.report_employee_id,
        lines_at_any_depth.depth + 1 as depth,
        greatest(lines_at_any_depth.valid_from, direct_lines.valid_from) as valid_from,
        least(lines_at_any_depth.valid_to, direct_lines.valid_to) as valid_to
    from lines_at_any_depth
    inner join direct_lines
        on lines_at_any_depth.manager_employee_id = direct_lines.report_employee_id
        and direct_lines.valid_from <= lines_at_any_depth.valid_to
        and direct_lines.valid_to >= lines_at_any_depth.valid_from
    where direct_lines.manager_employee_id <> lines_at_any_depth.report_employee_id
        -- a cycle in HR data would recurse forever; the uniqueness test reports it
        and lines_at_any_depth.depth < 20
),

-- a job change below the top manager splits a line into adjacent pieces: merge them
ordered_pieces as (
    select
        *,
        lag(valid_to) over (
            partition by manager_employee_id, report_employee_id, depth
            order by valid_from
        ) as previous_valid_to
    from lines_at_any_depth
),

numbered_runs as (
    select
        *,
        sum(
            case
                when previous_valid_to is not null
                    and previous_valid_to >= cast({{ dbt.dateadd('day', -1, 'valid_from') }} as date)
                    then 0
                else 1
            end
        ) over (
            partition by manager_employee_id, report_employee_id, depth
            order by valid_from
            rows between unbounded preceding and current row
        ) as run_number
    from ordered_pieces
),

runs as (
    select
        manager_employee_id,
        report_employee_id,
        depth,
        min(valid_from) as valid_from,
        max(valid_to) as valid_to
    from numbered_runs
    group by manager_employee_id, report_employee_id, depth, run_number
),

final as (
    select
        runs.manager_employee_id,
        runs.report_employee_id,
        managers.crm_user_id as manager_crm_user_id,
        reports.crm_user_id as report_crm_user_id,
        cast(runs.depth as integer) as depth,
        runs.valid_from,
        cast(nullif(runs.valid_to, date '9999-12-31') as date) as valid_to
    from runs
    left join crm_user_employees as managers
        on runs.manager_employee_id = managers.employee_id
    left join crm_user_employees as reports
        on runs.report_employee_id = reports.employee_id
)

select * from final
