-- Every commission line of every rep and plan period, in one relation: the tier, SPIF and cap
-- lines (int_commission_lines_computed) and the clawbacks (int_commission_clawbacks_computed),
-- with the columns of each kind of line and nulls where a kind has none. The one union of the
-- ledger: fct_commissions publishes it, fct_commission_reconciliation totals it.
with computed_lines as (
    select * from {{ ref('int_commission_lines_computed') }}
),

clawback_lines as (
    select * from {{ ref('int_commission_clawbacks_computed') }}
),

final as (
    select
        employee_id,
        period_type,
        period_start,
        opportunity_id,
        line_type,
        period_end,
        closes_on,
        is_closed,
        evaluated_on,
        plan_id,
        close_date,
        credit_date,
        is_late_booking,
        opportunity_type,
        currency,
        amount_local,
        fx_rate,
        opportunity_amount,
        split_percentage,
        credited_amount,
        attainment_before,
        attainment_after,
        tier_from,
        tier_to,
        rate,
        is_tier_crossing,
        spif_ids,
        cast(null as date) as original_period_start,
        cast(null as date) as reversal_date,
        cast(null as varchar) as reversal_kind,
        cast(null as integer) as days_after_close,
        amount,
        opportunity_split_ids,
        version_source_file as crm_source_file,
        version_source_line as crm_source_line,
        inputs_landed_on
    from computed_lines
    union all
    select
        employee_id,
        period_type,
        period_start,
        opportunity_id,
        line_type,
        period_end,
        closes_on,
        is_closed,
        evaluated_on,
        plan_id,
        close_date,
        credit_date,
        cast(null as boolean) as is_late_booking,
        cast(null as varchar) as opportunity_type,
        cast(null as varchar) as currency,
        cast(null as decimal(38, 10)) as amount_local,
        cast(null as decimal(38, 10)) as fx_rate,
        cast(null as decimal(38, 10)) as opportunity_amount,
        cast(null as decimal(38, 10)) as split_percentage,
        cast(null as decimal(38, 10)) as credited_amount,
        cast(null as double) as attainment_before,
        cast(null as double) as attainment_after,
        cast(null as double) as tier_from,
        cast(null as double) as tier_to,
        cast(null as double) as rate,
        false as is_tier_crossing,
        cast(null as varchar) as spif_ids,
        original_period_start,
        reversal_date,
        reversal_kind,
        days_after_close,
        amount,
        cast(null as varchar) as opportunity_split_ids,
        reversal_source_file as crm_source_file,
        reversal_source_line as crm_source_line,
        inputs_landed_on
    from clawback_lines
)

select * from final
