{#
  The day the build describes: the `as_of` var, else the latest landing day loaded.
  Every model filters what it reads to versions landed on or before this day, so a build
  "as of" a past day reproduces what a build on that day would have given. No model reads
  the wall clock.
#}
{% macro as_of_date() -%}
    {%- if var('as_of', none) -%}
        cast('{{ var("as_of") }}' as date)
    {%- else -%}
        (select max(batch_date) from {{ adapter.quote(target.database) }}.raw._loaded_days)
    {%- endif -%}
{%- endmacro %}
