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
