{#
  CONTRACTS.md: two versions of one key with the same system_modstamp (or updated_at) but
  different content are a data error; identical re-sends are harmless. Fails with one row
  per conflicting (key, version time), naming the files involved.
#}
{% test no_conflicting_versions(model, key, version_column, columns) %}
    select
        {{ key | join(', ') }},
        _version_ts,
        count(distinct concat_ws('|', {% for c in columns %}coalesce(cast({{ adapter.quote(c) }} as varchar), '<null>'){% if not loop.last %}, {% endif %}{% endfor %})) as versions,
        string_agg(distinct _source_file, ', ') as files
    from {{ model }}
    where {{ adapter.quote(version_column) }} is not null
    group by {{ key | join(', ') }}, _version_ts
    having count(distinct concat_ws('|', {% for c in columns %}coalesce(cast({{ adapter.quote(c) }} as varchar), '<null>'){% if not loop.last %}, {% endif %}{% endfor %})) > 1
{% endtest %}
