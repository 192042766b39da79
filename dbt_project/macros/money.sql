{#
  Money stays exact: decimal(38, 10) through every computation; rounding to cents
  (half away from zero) happens only in published mart columns, via round_money().
#}
{% macro money(expression) -%}
    cast({{ expression }} as decimal(38, 10))
{%- endmacro %}

{% macro round_money(expression) -%}
    cast(round({{ expression }}, 2) as decimal(18, 2))
{%- endmacro %}

{#
  An amount in the reporting currency: converted at the latest fx_rate on or before
  `on_date` (METRICS.md). Null when no rate is known, which the staging tests reject.
#}
{% macro to_reporting(amount, currency, on_date) -%}
    {{ return(adapter.dispatch('to_reporting')(amount, currency, on_date)) }}
{%- endmacro %}

{% macro default__to_reporting(amount, currency, on_date) -%}
    {#- The rate table's columns are renamed so that an unqualified `currency` or date column
        of the caller can never bind to the rate table inside the subquery. -#}
    {{ convert_at_rate(amount, currency, '(
            select fx.fx_rate
            from (
                select currency as fx_currency, rate_date as fx_rate_date, rate_to_reporting as fx_rate
                from ' ~ ref('stg_comp__fx_rates') ~ '
            ) as fx
            where fx.fx_currency = ' ~ currency ~ '
              and fx.fx_rate_date <= ' ~ on_date ~ '
            order by fx.fx_rate_date desc
            limit 1
        )') }}
{%- endmacro %}

{#
  Currency conversion, written once: an amount in `currency` in the reporting currency, given
  the rate that applies (1 unit of `currency` in the reporting currency). The reporting
  currency itself needs no rate (METRICS.md); a null amount stays null. Callers find the rate
  (to_reporting above looks it up; the commission models join the rates known then).
#}
{% macro convert_at_rate(amount, currency, rate) -%}
    case
        when {{ amount }} is null then null
        when {{ currency }} = '{{ var("reporting_currency") }}' then {{ money(amount) }}
        else {{ money(amount ~ ' * ' ~ rate) }}
    end
{%- endmacro %}
