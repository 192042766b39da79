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
