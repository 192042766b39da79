-- Commission lines per rep, plan period, deal and line type (METRICS.md, Commissions): the
-- ledger finance pays from. Lines of a closed period are what the data known at its close
-- gives (int_plan_periods_closed) and never change afterwards; lines of a period that has
-- not closed by the as-of day are provisional. Money is unrounded upstream and rounded to
-- cents (half away from zero) only here.
with all_lines as (
    select * from {{ ref('int_commission_lines_unioned') }}
),

recorded as (
    -- A closed period's lines are recorded by the first build as of a day on which the
    -- period had closed and every version they read had landed.
    select
        *,
        case
            when is_closed then greatest(
                evaluated_on,
                max(inputs_landed_on) over (partition by employee_id, period_type, period_start)
            )
        end as recorded_as_of
    from all_lines
),

final as (
    select
        cast(employee_id as varchar) as employee_id,
        cast(period_start as date) as period_start,
        cast(opportunity_id as varchar) as opportunity_id,
        cast(line_type as varchar) as line_type,
        cast(period_type as varchar) as period_type,
        cast(period_end as date) as period_end,
        cast(plan_id as varchar) as plan_id,
        cast(case when is_closed then 'closed' else 'provisional' end as varchar) as line_status,
        cast(closes_on as date) as closes_on,
        cast(evaluated_on as date) as data_known_on,
        cast(recorded_as_of as date) as recorded_as_of,
        cast(close_date as date) as close_date,
        cast(credit_date as date) as credit_date,
        cast(is_late_booking as boolean) as is_late_booking,
        cast(opportunity_type as varchar) as opportunity_type,
        cast(currency as varchar) as currency,
        {{ round_money('amount_local') }} as amount_local,
        cast(fx_rate as double) as fx_rate,
        {{ round_money('opportunity_amount') }} as opportunity_amount,
        cast(split_percentage as double) as split_percentage,
        {{ round_money('credited_amount') }} as credited_amount,
        cast(attainment_before as double) as attainment_before,
        cast(attainment_after as double) as attainment_after,
        cast(tier_from as double) as tier_from,
        cast(tier_to as double) as tier_to,
        cast(rate as double) as rate,
        cast(is_tier_crossing as boolean) as is_tier_crossing,
        cast(spif_ids as varchar) as spif_ids,
        cast(original_period_start as date) as original_period_start,
        cast(reversal_date as date) as reversal_date,
        cast(reversal_kind as varchar) as reversal_kind,
        cast(days_after_close as integer) as days_after_close,
        {{ round_money('amount') }} as amount,
        cast(opportunity_split_ids as varchar) as opportunity_split_ids,
        cast(crm_source_file as varchar) as crm_source_file,
        cast(crm_source_line as bigint) as crm_source_line
    from recorded
)

select * from final
