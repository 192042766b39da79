-- Changes to deals of closed plan periods that change no commission line (METRICS.md,
-- Commissions): the review list behind reason changed_after_close in
-- fct_commission_reconciliation. One row per rep, plan period start, deal and kind of change.
with changes as (
    select * from {{ ref('int_deal_changes_listed') }}
),

final as (
    select
        cast(employee_id as varchar) as employee_id,
        cast(period_start as date) as period_start,
        cast(opportunity_id as varchar) as opportunity_id,
        cast(change_kind as varchar) as change_kind,
        cast(period_type as varchar) as period_type,
        cast(first_seen_on as date) as first_seen_on,
        cast(value_at_close as varchar) as value_at_close,
        cast(value_after as varchar) as value_after,
        cast(source_file as varchar) as crm_source_file,
        cast(source_line as bigint) as crm_source_line
    from changes
)

select * from final
