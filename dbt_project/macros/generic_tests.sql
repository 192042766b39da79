{#
  Generic data tests of the project (dbt ships only unique, not_null, accepted_values and
  relationships, and no packages are fetched at build time).
#}

{# Every row satisfies a boolean SQL expression; failing rows are returned. #}
{% test expression_is_true(model, expression) %}
    select *
    from {{ model }}
    where not ({{ expression }})
{% endtest %}

{#
  METRICS.md: the splits of one opportunity add up to 100. Checked for opportunities that
  exist (splits of a deleted opportunity are gone with it).
#}
{% test splits_add_to_100(model, opportunities) %}
    select
        splits.opportunity_id,
        sum(splits.split_percentage) as total_split_percentage,
        count(*) as splits
    from {{ model }} as splits
    inner join {{ opportunities }} as opportunities
        on splits.opportunity_id = opportunities.opportunity_id
    group by splits.opportunity_id
    having sum(splits.split_percentage) <> 100
{% endtest %}

{#
  dbt's built-in relationships, unique, accepted_values and not_null tests, with the same
  pass/fail rule, but returning the whole failing rows rather than only the failing value: the
  failing rows (schema audit, orchestration/quality/failures.py) then name each record by its
  key and, for staging models, the landing file and line it came from (source_file,
  source_line), so a failed build says which records to fix.
#}
{% macro default__test_not_null(model, column_name) %}
    select *
    from {{ model }}
    where {{ column_name }} is null
{% endmacro %}

{% macro default__test_relationships(model, column_name, to, field) %}
    select child.*
    from {{ model }} as child
    where child.{{ column_name }} is not null
      and not exists (
          select 1 from {{ to }} as parent where parent.{{ field }} = child.{{ column_name }}
      )
{% endmacro %}

{% macro default__test_unique(model, column_name) %}
    select *
    from {{ model }}
    where {{ column_name }} in (
        select {{ column_name }}
        from {{ model }}
        where {{ column_name }} is not null
        group by {{ column_name }}
        having count(*) > 1
    )
{% endmacro %}

{% macro default__test_accepted_values(model, column_name, values, quote=True) %}
    select *
    from {{ model }}
    where {{ column_name }} not in (
        {% for value in values -%}
            {% if quote %}'{{ value }}'{% else %}{{ value }}{% endif %}{% if not loop.last %}, {% endif %}
        {%- endfor %}
    )
{% endmacro %}
