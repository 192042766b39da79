{#
  The latest version of every key of a raw table, as known on the as-of day
  (CONTRACTS.md: system_modstamp/updated_at, else 00:00 of the landing day; then landing
  day; then position in the file). Deleted keys are kept here with _is_deleted = true so
  that callers decide; staging models drop them.
#}
{% macro latest_versions(relation, key) -%}
    select *
    from (
        select
            *,
            row_number() over (
                partition by {{ key | join(', ') }}
                order by _version_ts desc, _batch_date desc, _source_file desc, _line desc
            ) as _version_rank
        from {{ relation }}
        where _batch_date <= {{ as_of_date() }}
    ) as versions
    where _version_rank = 1
{%- endmacro %}
