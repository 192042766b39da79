{#
  The day the build describes: the `as_of` var (unit tests, a hand-run dbt), else the day the
  build recorded in raw._build_as_of before it started dbt (orchestration/transform/assets.py).
  Read from the database, not passed as a var, so that a new day does not make dbt parse the
  whole project again. Every model filters what it reads to versions landed on or before this
  day, so a build "as of" a past day reproduces what a build on that day would have given. No
  model reads the wall clock.
#}
{% macro as_of_date() -%}
    {%- if var('as_of', none) -%}
        cast('{{ var("as_of") }}' as date)
    {%- else -%}
        (select as_of_date from {{ adapter.quote(target.database) }}.raw._build_as_of)
    {%- endif -%}
{%- endmacro %}

{#
  "As known on day K" (METRICS.md, Commissions: versions with system_modstamp, else landing
  day, on or before it): the version of a versioned staging row (stg_*_versions: known_from,
  superseded_at) that the data known by the end of day K gives - first known before
  `known_before` (K + 1 day, 00:00 UTC) and not yet superseded then. The one place that rule
  is written; every "as known at the evaluation day" join uses it.
#}
{% macro known_at(versions, known_before) -%}
    ({{ versions }}.known_from < {{ known_before }}
        and ({{ versions }}.superseded_at is null or {{ versions }}.superseded_at >= {{ known_before }}))
{%- endmacro %}
