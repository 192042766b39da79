{#
  The employee a CRM user is on each day (METRICS.md, Reps and rehires), as spans: one row per
  CRM user and employee record, valid_from .. valid_to (inclusive), so that on every day exactly
  one row of a CRM user holds. On day d the CRM user is the employee employed on d; on a day in
  no employment the latest one hired on or before d; before the first hire the earliest one.
  So each employee record holds from its hire date (the earliest record: from the beginning of
  time) to the day before the next record of the same CRM user is hired (the latest: for ever).
  Choice: two records employed on the same day (overlapping employments, an HR error) resolve
  to the later hire; two hired the same day to the larger employee_id.

  The rule lives here once. int_crm_user_employees applies it to the employees as they are
  now; int_employees_known applies it to the employees as known at each evaluation day
  (`partition_by: ['evaluated_on']`), for the commission lines of closed periods.
#}
{% macro crm_user_employee_spans(employees, partition_by=[]) -%}
    {%- set window = (partition_by + ['crm_user_id']) | join(', ') -%}
    select
        {%- for column in partition_by %}
        {{ column }},
        {%- endfor %}
        crm_user_id,
        employee_id,
        case
            when row_number() over (partition by {{ window }} order by hire_date, employee_id) = 1
                then date '0001-01-01'
            else hire_date
        end as valid_from,
        coalesce(
            cast({{ dbt.dateadd('day', -1, 'lead(hire_date) over (partition by ' ~ window ~ ' order by hire_date, employee_id)') }} as date),
            date '9999-12-31'
        ) as valid_to
    from {{ employees }}
    where crm_user_id is not null
{%- endmacro %}
