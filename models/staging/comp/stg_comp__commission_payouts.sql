-- Restricted: payouts are compensation data (see _comp__models.yml).
with source as (
    {{ latest_versions(source('comp', 'commission_payout'), ['payout_id']) }}
),

renamed as (
    select
        payout_id,
        employee_id,
        period_start,
        currency,
        amount as amount_local,
        paid_date,
        _source_file as source_file,
        _line as source_line
    from source
    where not _is_deleted
),

converted as (
    select
        *,
        {{ to_reporting('amount_local', 'currency', 'paid_date') }} as amount
    from renamed
)

select * from converted
