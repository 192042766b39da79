-- Every version of every opportunity landed on or before the as-of day, not only the latest:
-- the commission work reads the state "as known by the end of day K" (METRICS.md,
-- Commissions). A version is known from _version_ts (system_modstamp, else 00:00 UTC of its
-- landing day) until the next version of the key in CONTRACTS.md's order (version time,
-- landing day, file, line) supersedes it. Deletions are versions too (is_deleted).
with source as (
    select * from {{ source('crm', 'opportunity') }}
    where _batch_date <= {{ as_of_date() }}
),

versions as (
    select
        id as opportunity_id,
        owner_id,
        type as opportunity_type,
        stage_name,
        is_closed,
        is_won,
        _is_deleted as is_deleted,
        coalesce(currency_iso_code, '{{ var("reporting_currency") }}') as currency,
        amount as amount_local,
        close_date,
        system_modstamp as modified_at,
        _version_ts as known_from,
        lead(_version_ts) over (
            partition by id
            order by _version_ts, _batch_date, _source_file, _line
        ) as superseded_at,
        _batch_date as landed_on,
        _source_file as source_file,
        _line as source_line
    from source
)

select * from versions
