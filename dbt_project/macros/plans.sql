{#
  Which plan assignment governs a period (METRICS.md: the assignment in effect on the period's
  first day, else the latest one overlapping it): the `order by` of a row_number() over the
  candidate assignments of one rep and period, rank 1 the governing one. Candidates in effect on
  `first_day` come first, then those still running on it (overlapping the period later), then
  any others the caller's join let through (the commission periods keep an assignment that
  ended before the period as the last resort); within each, the latest effective_from. The one
  place the rule is written: the months of the ramp-adjusted quota (int_quotas_ramped_known) and
  the commission plan periods (int_rep_periods_planned) both rank with it.
#}
{% macro plan_in_effect_order(assignments, first_day) -%}
    case
        when {{ assignments }}.effective_from <= {{ first_day }}
            and coalesce({{ assignments }}.effective_to, date '9999-12-31') >= {{ first_day }}
            then 0
        when coalesce({{ assignments }}.effective_to, date '9999-12-31') >= {{ first_day }} then 1
        else 2
    end,
    {{ assignments }}.effective_from desc
{%- endmacro %}
