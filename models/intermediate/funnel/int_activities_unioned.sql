-- Every live CRM activity, tasks and events alike, as one stream: who did it, on what, when,
-- and its category for activity counts (tasks of type Call / Email, events of type Meeting;
-- everything else is `other`).
with tasks as (
    select * from {{ ref('stg_crm__tasks') }}
),

events as (
    select * from {{ ref('stg_crm__events') }}
),

opportunities as (
    select * from {{ ref('stg_crm__opportunities') }}
),

task_activities as (
    select
        task_id as activity_id,
        'task' as activity_source,
        owner_id,
        account_id,
        who_id,
        what_id,
        task_type as activity_type,
        case
            when task_type = 'Call' then 'call'
            when task_type = 'Email' then 'email'
            else 'other'
        end as activity_category,
        -- a task has a due/done date only; its log time is when it was created
        coalesce(activity_date, cast(created_at as date)) as activity_date,
        created_at as activity_at,
        created_at
    from tasks
),

event_activities as (
    select
        event_id as activity_id,
        'event' as activity_source,
        owner_id,
        account_id,
        who_id,
        what_id,
        event_type as activity_type,
        case
            when event_type = 'Meeting' then 'meeting'
            else 'other'
        end as activity_category,
        coalesce(activity_date, cast(created_at as date)) as activity_date,
        coalesce(activity_at, created_at) as activity_at,
        created_at
    from events
),

activities as (
    select * from task_activities
    union all
    select * from event_activities
),

final as (
    select
        activities.activity_id,
        activities.activity_source,
        activities.owner_id,
        coalesce(activities.account_id, opportunities.account_id) as account_id,
        activities.who_id,
        activities.what_id,
        activities.activity_type,
        activities.activity_category,
        activities.activity_date,
        activities.activity_at,
        activities.created_at
    from activities
    left join opportunities
        on activities.what_id = opportunities.opportunity_id
)

select * from final
