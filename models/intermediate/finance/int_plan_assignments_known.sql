-- Plan assignments, with their plan's terms, as known at each evaluation day
-- (int_evaluation_days). An assignment whose plan is not known that day keeps
-- null plan columns (it governs nothing).
with evaluation_days as (
    select * from {{ ref('int_evaluation_days') }}
),

assignment_versions as (
    select * from {{ ref('stg_comp__plan_assignment_versions') }}
),

plan_versions as (
    select * from {{ ref('stg_comp__comp_plan_versions') }}
),

known_assignments as (
    select
        evaluation_days.evaluated_on,
        evaluation_days.known_before,
        assignment_versions.employee_id,
        assignment_versions.plan_id,
        assignment_versions.effective_from,
        assignment_versions.effective_to
    from evaluation_days
    inner join assignment_versions
        on {{ known_at('assignment_versions', 'evaluation_days.known_before') }}
    where not assignment_versions.is_deleted
),

known_plans as (
    select
        evaluation_days.evaluated_on,
        plan_versions.plan_id,
        plan_versions.period_type,
        plan_versions.currency,
        plan_versions.clawback_days,
        plan_versions.payout_cap_local
    from evaluation_days
    inner join plan_versions
        on {{ known_at('plan_versions', 'evaluation_days.known_before') }}
    where not plan_versions.is_deleted
),

final as (
    select
        known_assignments.evaluated_on,
        known_assignments.employee_id,
        known_assignments.plan_id,
        known_assignments.effective_from,
        known_assignments.effective_to,
        known_plans.period_type,
        known_plans.currency as plan_currency,
        known_plans.clawback_days,
        known_plans.payout_cap_local
    from known_assignments
    left join known_plans
        on known_assignments.evaluated_on = known_plans.evaluated_on
        and known_assignments.plan_id = known_plans.plan_id
)

select * from final
