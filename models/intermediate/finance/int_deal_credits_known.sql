-- The commissionable deals of every rep plan period, with each rep's credit, as known at the
-- period's evaluation day (METRICS.md, Commissions; int_plan_periods_closed). One row per
-- rep, plan period and opportunity.
--   * Commissionable: the opportunity's version known at the evaluation day is won and not
--     deleted, and its close date is in the period. A deal reversed before its period closed
--     is simply not commissionable there.
--   * Late booking: a deal first seen won (the start of its current run of won versions:
--     system_modstamp, else landing day) only after its close-date period closed is
--     commissioned in the period containing the day it was first seen won (credit_date).
--   * A deal counts once per period type: in the earliest period where it is commissionable
--     (a later change of its close date does not book it again).
--   * Credit (METRICS.md, Credit and bookings): amount x split_percentage / 100 for each split
--     known at the evaluation day (split rows of one user add up), else 100% to the owner;
--     amount in the reporting currency at the close date's rate as known then. A CRM user is
--     the employee it is on the close date (METRICS.md, Reps and rehires; int_employees_known:
--     the rule of int_crm_user_employees on the employees as known then).
--   * The opportunity owner takes part even without a split (SPIFs go to the owner; METRICS.md),
--     with split_percentage 0.
--   * credited_before: the rep's credit on the period's deals before this one, in the order
--     deals fill the tiers: close date, then opportunity id (METRICS.md). Choice: a late
--     booking keeps its close date, so it fills the tiers before the period's own deals.
--   * Which period type: Choice: a credit counts toward the rep's plan period whose type is that
--     of the assignment in effect on the credit date (the latest started when several are); a
--     rep with no assignment in effect that day earns nothing on the deal.
with periods as (
    select * from {{ ref('int_plan_periods_closed') }}
),

opportunity_versions as (
    select * from {{ ref('stg_crm__opportunity_versions') }}
),

split_versions as (
    select * from {{ ref('stg_crm__opportunity_split_versions') }}
),

employees as (
    select * from {{ ref('int_employees_known') }}
),

assignments as (
    select * from {{ ref('int_plan_assignments_known') }}
),

rep_periods as (
    select * from {{ ref('int_rep_periods_planned') }}
),

fx_rates as (
    select * from {{ ref('int_fx_rates_known') }}
),

won_runs as (
    select
        *,
        coalesce(is_won, false) and not is_deleted as is_won_live,
        sum(case when coalesce(is_won, false) and not is_deleted then 0 else 1 end) over (
            partition by opportunity_id
            order by known_from, landed_on, source_file, source_line
            rows between unbounded preceding and current row
        ) as run_number
    from opportunity_versions
),

won_versions as (
    -- won_since: when the unbroken run of won versions this one belongs to began.
    select
        *,
        min(known_from) over (partition by opportunity_id, run_number) as won_since
    from won_runs
    where is_won_live
),

close_periods as (
    select
        won_versions.*,
        periods.period_type,
        won_versions.won_since >= periods.known_before as is_late_booking
    from won_versions
    inner join periods
        on won_versions.close_date >= periods.period_start
        and won_versions.close_date <= periods.period_end
),

credit_days as (
    select
        *,
        case
            when is_late_booking then cast(won_since as date)
            else close_date
        end as credit_date
    from close_periods
),

commissionable as (
    -- The version must be the one known at the evaluation day of the period it counts in.
    select
        credit_days.*,
        periods.period_start,
        periods.period_end,
        periods.evaluated_on,
        periods.known_before,
        row_number() over (
            partition by credit_days.opportunity_id, credit_days.period_type
            order by periods.period_start
        ) as booking_rank
    from credit_days
    inner join periods
        on periods.period_type = credit_days.period_type
        and credit_days.credit_date >= periods.period_start
        and credit_days.credit_date <= periods.period_end
    where {{ known_at('credit_days', 'periods.known_before') }}
),

deals as (
    select * from commissionable where booking_rank = 1
),

known_splits as (
    select
        deals.opportunity_id,
        deals.period_type,
        deals.period_start,
        split_versions.opportunity_split_id,
        split_versions.split_owner_id,
        split_versions.split_percentage,
        split_versions.landed_on
    from deals
    inner join split_versions
        on split_versions.opportunity_id = deals.opportunity_id
        and {{ known_at('split_versions', 'deals.known_before') }}
    where not split_versions.is_deleted
),

credit_users as (
    select
        opportunity_id,
        period_type,
        period_start,
        split_owner_id as crm_user_id,
        split_percentage,
        opportunity_split_id,
        landed_on
    from known_splits
    union all
    select
        deals.opportunity_id,
        deals.period_type,
        deals.period_start,
        deals.owner_id as crm_user_id,
        -- the owner takes 100% when the deal has no split, else takes part for SPIFs only
        case
            when exists (
                select 1
                from known_splits
                where known_splits.opportunity_id = deals.opportunity_id
                    and known_splits.period_type = deals.period_type
                    and known_splits.period_start = deals.period_start
            ) then {{ money(0) }}
            else {{ money(100) }}
        end as split_percentage,
        cast(null as varchar) as opportunity_split_id,
        cast(null as date) as landed_on
    from deals
),

participants as (
    select
        opportunity_id,
        period_type,
        period_start,
        crm_user_id,
        {{ money('sum(split_percentage)') }} as split_percentage,
        string_agg(opportunity_split_id, ', ' order by opportunity_split_id) as opportunity_split_ids,
        max(landed_on) as splits_landed_on
    from credit_users
    group by opportunity_id, period_type, period_start, crm_user_id
),

participant_employees as (
    select
        deals.*,
        participants.crm_user_id,
        participants.split_percentage,
        participants.opportunity_split_ids,
        participants.splits_landed_on,
        participants.crm_user_id = deals.owner_id as is_owner,
        employees.employee_id
    from deals
    inner join participants
        on participants.opportunity_id = deals.opportunity_id
        and participants.period_type = deals.period_type
        and participants.period_start = deals.period_start
    inner join employees
        on employees.evaluated_on = deals.evaluated_on
        and employees.crm_user_id = participants.crm_user_id
        and deals.close_date between employees.crm_valid_from and employees.crm_valid_to
),

governed as (
    -- The assignment in effect on the credit date decides the period type.
    select
        participant_employees.*,
        assignments.period_type as governing_period_type,
        row_number() over (
            partition by
                participant_employees.opportunity_id,
                participant_employees.period_type,
                participant_employees.period_start,
                participant_employees.employee_id
            order by assignments.effective_from desc, assignments.plan_id
        ) as assignment_rank
    from participant_employees
    inner join assignments
        on assignments.evaluated_on = participant_employees.evaluated_on
        and assignments.employee_id = participant_employees.employee_id
        and assignments.effective_from <= participant_employees.credit_date
        and coalesce(assignments.effective_to, date '9999-12-31') >= participant_employees.credit_date
),

rep_deals as (
    select * from governed
    where assignment_rank = 1
        and governing_period_type = period_type
),

converted as (
    select
        rep_deals.*,
        {{ convert_at_rate('rep_deals.amount_local', 'rep_deals.currency', 'fx_rates.rate_to_reporting') }} as amount,
        case
            when rep_deals.currency = '{{ var("reporting_currency") }}' then {{ money(1) }}
            else fx_rates.rate_to_reporting
        end as fx_rate
    from rep_deals
    left join fx_rates
        on fx_rates.evaluated_on = rep_deals.evaluated_on
        and fx_rates.currency = rep_deals.currency
        and fx_rates.rate_date <= rep_deals.close_date
        and (fx_rates.next_rate_date is null or fx_rates.next_rate_date > rep_deals.close_date)
),

credited as (
    select
        converted.employee_id,
        converted.period_type,
        converted.period_start,
        converted.opportunity_id,
        rep_periods.period_end,
        rep_periods.closes_on,
        rep_periods.is_closed,
        rep_periods.evaluated_on,
        rep_periods.known_before,
        rep_periods.plan_id,
        converted.crm_user_id,
        converted.owner_id,
        converted.is_owner,
        converted.opportunity_type,
        converted.close_date,
        converted.credit_date,
        converted.is_late_booking,
        converted.currency,
        converted.amount_local,
        converted.fx_rate,
        converted.amount,
        converted.split_percentage,
        -- CONTRACTS.md: a deal without an amount counts as nothing: it credits 0, not null.
        {{ money('coalesce(converted.amount, 0) * converted.split_percentage * 0.01') }} as credited_amount,
        converted.opportunity_split_ids,
        converted.known_from as version_known_from,
        converted.modified_at as version_modified_at,
        converted.source_file as version_source_file,
        converted.source_line as version_source_line,
        greatest(converted.landed_on, coalesce(converted.splits_landed_on, converted.landed_on)) as inputs_landed_on
    from converted
    inner join rep_periods
        on rep_periods.employee_id = converted.employee_id
        and rep_periods.period_type = converted.period_type
        and rep_periods.period_start = converted.period_start
),

final as (
    -- Deals fill the tiers in order of close date, then opportunity id (METRICS.md).
    select
        *,
        coalesce(
            sum(credited_amount) over (
                partition by employee_id, period_type, period_start
                order by close_date, opportunity_id
                rows between unbounded preceding and 1 preceding
            ),
            {{ money(0) }}
        ) as credited_before
    from credited
)

select * from final
