-- Headcount movements per fiscal month and segment (METRICS.md, Rep turnover). Every HR
-- employee counts. An employee's segment on a day is the job held that day
-- (int_employee_jobs_spanned); a separation uses the job on the termination date (the last
-- day worked). The opening headcount is the state at the start of the month, i.e. the job
-- held at the end of the previous day, so that a job change effective on the 1st is a
-- transfer of that month and each month opens where the previous one closed. Per month and
-- segment: closing = opening + hires - separations + transfers_in - transfers_out.
-- Turnover rates are published only from the month the HR history can show separations
-- (separations_recorded_from, see the YAML): the export lists only employees it still knows,
-- so before that month a count of 0 leavers is missing data, not a fact.
with employees as (
    select * from {{ ref('int_employments') }}
),

employee_versions as (
    select * from {{ ref('stg_hr__employee_versions') }}
),

job_spans as (
    select * from {{ ref('int_employee_jobs_spanned') }}
),

calendar as (
    select * from {{ ref('int_dates_spined') }}
),

months as (
    -- From the first month with any employee through the as-of month.
    select distinct
        month_start,
        month_end,
        cast({{ dbt.dateadd('day', -1, 'month_start') }} as date) as day_before_month
    from calendar
    where month_start >= (select min({{ dbt.date_trunc('month', 'hire_date') }}) from employees)
        and month_start <= {{ as_of_date() }}
),

separation_evidence as (
    select
        (select min(termination_date) from employees) as first_termination_date,
        (select min(landed_on) from employee_versions) as first_landing_day
),

evidence_months as (
    -- The earliest known termination date proves the export records leavers from its month
    -- on. The first HR landing day proves the warehouse itself has seen every change since
    -- that day, so each month starting on or after it is covered even when no one left.
    select
        cast({{ dbt.date_trunc('month', 'first_termination_date') }} as date) as first_termination_month,
        cast(
            {{ dbt.dateadd('month', 1, dbt.date_trunc('month', dbt.dateadd('day', -1, 'first_landing_day'))) }}
            as date
        ) as first_watched_month
    from separation_evidence
),

separations_recorded as (
    -- The earlier of the two; null only when there is neither (no HR data at all).
    select
        case
            when first_watched_month is null or first_termination_month <= first_watched_month
                then first_termination_month
            else first_watched_month
        end as separations_recorded_from
    from evidence_months
),

segment_spans as (
    select employee_id, hire_date, termination_date, span_start, span_end, job_sequence,
        'company' as segment_type, 'company' as segment
    from job_spans
    union all
    select employee_id, hire_date, termination_date, span_start, span_end, job_sequence,
        'role' as segment_type, coalesce(role, 'unassigned') as segment
    from job_spans
    union all
    select employee_id, hire_date, termination_date, span_start, span_end, job_sequence,
        'team' as segment_type, coalesce(team, 'unassigned') as segment
    from job_spans
),

openings as (
    -- Employed at the start of the month: hired before its first day, not terminated before it.
    select
        months.month_start,
        segment_spans.segment_type,
        segment_spans.segment,
        count(*) as opening_headcount
    from months
    inner join segment_spans
        on segment_spans.span_start <= months.day_before_month
        and coalesce(segment_spans.span_end, date '9999-12-31') >= months.day_before_month
        and coalesce(segment_spans.termination_date, date '9999-12-31') >= months.month_start
    group by months.month_start, segment_spans.segment_type, segment_spans.segment
),

closings as (
    -- Employed at the end of the month: hired on or before its last day, not terminated on
    -- or before it.
    select
        months.month_start,
        segment_spans.segment_type,
        segment_spans.segment,
        count(*) as closing_headcount,
        sum({{ dbt.datediff('segment_spans.hire_date', 'months.month_end', 'day') }} + 1) as closing_tenure_days
    from months
    inner join segment_spans
        on segment_spans.span_start <= months.month_end
        and coalesce(segment_spans.span_end, date '9999-12-31') >= months.month_end
        and coalesce(segment_spans.termination_date, date '9999-12-31') > months.month_end
    group by months.month_start, segment_spans.segment_type, segment_spans.segment
),

hires as (
    select
        months.month_start,
        segment_spans.segment_type,
        segment_spans.segment,
        count(*) as hires
    from months
    inner join segment_spans
        on segment_spans.hire_date between months.month_start and months.month_end
        and segment_spans.job_sequence = 1
    group by months.month_start, segment_spans.segment_type, segment_spans.segment
),

separations as (
    select
        months.month_start,
        segment_spans.segment_type,
        segment_spans.segment,
        count(*) as separations,
        count(case when employees.termination_type = 'voluntary' then 1 end) as voluntary_separations,
        count(case when employees.termination_type = 'involuntary' then 1 end) as involuntary_separations,
        count(case when employees.is_regretted then 1 end) as regretted_separations,
        count(
            case
                when {{ dbt.datediff('employees.hire_date', 'employees.termination_date', 'day') }} < 180 then 1
            end
        ) as early_attrition
    from months
    inner join segment_spans
        on segment_spans.termination_date between months.month_start and months.month_end
        and segment_spans.span_end = segment_spans.termination_date
    inner join employees
        on segment_spans.employee_id = employees.employee_id
    group by months.month_start, segment_spans.segment_type, segment_spans.segment
),

segment_changes as (
    select
        *,
        lag(segment) over (
            partition by employee_id, segment_type order by span_start
        ) as previous_segment
    from segment_spans
),

transfers as (
    select
        cast({{ dbt.date_trunc('month', 'span_start') }} as date) as month_start,
        segment_type,
        previous_segment,
        segment
    from segment_changes
    where previous_segment is not null
        and previous_segment <> segment
),

transfers_in as (
    select month_start, segment_type, segment, count(*) as transfers_in
    from transfers
    group by month_start, segment_type, segment
),

transfers_out as (
    select month_start, segment_type, previous_segment as segment, count(*) as transfers_out
    from transfers
    group by month_start, segment_type, previous_segment
),

segments as (
    select distinct segment_type, segment from segment_spans
),

grid as (
    select
        months.month_start,
        months.month_end,
        segments.segment_type,
        segments.segment,
        coalesce(openings.opening_headcount, 0) as opening_headcount,
        coalesce(closings.closing_headcount, 0) as closing_headcount,
        coalesce(hires.hires, 0) as hires,
        coalesce(separations.separations, 0) as separations,
        coalesce(transfers_in.transfers_in, 0) as transfers_in,
        coalesce(transfers_out.transfers_out, 0) as transfers_out,
        coalesce(separations.voluntary_separations, 0) as voluntary_separations,
        coalesce(separations.involuntary_separations, 0) as involuntary_separations,
        coalesce(separations.regretted_separations, 0) as regretted_separations,
        coalesce(separations.early_attrition, 0) as early_attrition,
        closings.closing_tenure_days
    from months
    cross join segments
    left join openings
        on months.month_start = openings.month_start
        and segments.segment_type = openings.segment_type
        and segments.segment = openings.segment
    left join closings
        on months.month_start = closings.month_start
        and segments.segment_type = closings.segment_type
        and segments.segment = closings.segment
    left join hires
        on months.month_start = hires.month_start
        and segments.segment_type = hires.segment_type
        and segments.segment = hires.segment
    left join separations
        on months.month_start = separations.month_start
        and segments.segment_type = separations.segment_type
        and segments.segment = separations.segment
    left join transfers_in
        on months.month_start = transfers_in.month_start
        and segments.segment_type = transfers_in.segment_type
        and segments.segment = transfers_in.segment
    left join transfers_out
        on months.month_start = transfers_out.month_start
        and segments.segment_type = transfers_out.segment_type
        and segments.segment = transfers_out.segment
),

rates as (
    select
        grid.*,
        separations_recorded.separations_recorded_from,
        cast(opening_headcount + closing_headcount as double) / 2 as average_headcount,
        sum(separations) over trailing_12_months as separations_t12m,
        avg(cast(opening_headcount + closing_headcount as double) / 2) over trailing_12_months
            as average_headcount_t12m,
        count(*) over trailing_12_months as months_in_window,
        min(month_start) over trailing_12_months as window_start
    from grid
    cross join separations_recorded
    window trailing_12_months as (
        partition by segment_type, segment
        order by month_start
        rows between 11 preceding and current row
    )
),

final as (
    select
        cast(month_start as date) as month_start,
        cast(month_end as date) as month_end,
        cast(segment_type as varchar) as segment_type,
        cast(segment as varchar) as segment,
        month_end <= {{ as_of_date() }} as is_month_complete,
        case
            when segment_type = 'role' then segment in ('AE', 'AM', 'SDR', 'BDR')
        end as is_quota_carrier,
        cast(separations_recorded_from as date) as separations_recorded_from,
        coalesce(month_start >= separations_recorded_from, false) as has_separation_history,
        cast(opening_headcount as integer) as opening_headcount,
        cast(closing_headcount as integer) as closing_headcount,
        cast(hires as integer) as hires,
        cast(separations as integer) as separations,
        cast(transfers_in as integer) as transfers_in,
        cast(transfers_out as integer) as transfers_out,
        cast(voluntary_separations as integer) as voluntary_separations,
        cast(involuntary_separations as integer) as involuntary_separations,
        cast(regretted_separations as integer) as regretted_separations,
        cast(early_attrition as integer) as early_attrition,
        average_headcount,
        case
            when month_start >= separations_recorded_from and average_headcount > 0
                then separations / average_headcount
        end as turnover_rate,
        case
            when months_in_window = 12
                and window_start >= separations_recorded_from
                and average_headcount_t12m > 0
                then separations_t12m / average_headcount_t12m
        end as turnover_rate_t12m,
        case
            when closing_headcount > 0
                then cast(closing_tenure_days as double) / closing_headcount / (365.25 / 12)
        end as avg_tenure_months
    from rates
    where segment_type = 'company'
        or opening_headcount + closing_headcount + hires + separations + transfers_in + transfers_out > 0
)

select * from final
