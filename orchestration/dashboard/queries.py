"""What the dashboard shows, as queries of one publication: data in, data frames out, no
Streamlit (so each figure can be checked against a query of the published file).

Every function takes the folder of one publication (`current(home)`, the target of
`HOME/published` resolved once per page view) and opens its database read-only for one query.
Reading the manifest and the marts from the same resolved folder means a page never mixes two
publications, and the next page view follows the symlink to a newer one: no restart.

Definitions are METRICS.md's, as the marts publish them; where a page rolls a mart up
further (a team's win rate, the company's coverage), it sums the parts and divides, as the
marts' own team and company roll-ups do (never an average of ratios). Nothing here reads
`restricted.duckdb` except the functions under "Finance", which only the --restricted
dashboard calls.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from orchestration.publish.publisher import BI_FILE, MANIFEST_FILE, RESTRICTED_FILE


class NoPublication(Exception):
    """The home has no publication yet; the message says how to make one."""


def current(home: Path) -> Path:
    """The folder of the publication BI sees now (HOME/published resolved)."""
    link = Path(home) / "published"
    if not (link / MANIFEST_FILE).exists():
        raise NoPublication(
            f"no publication in {Path(home).resolve()}: build one with "
            f"`salesops build --home {home}` (or `make run`)"
        )
    return link.resolve()


def manifest(publication: Path) -> dict[str, Any]:
    """publication.json of one publication."""
    return json.loads((publication / MANIFEST_FILE).read_text())


def _query(database: Path, sql: str, params: list | None = None) -> pd.DataFrame:
    con = duckdb.connect(str(database), read_only=True)
    try:
        result = con.execute(sql, params or [])
        dates = [column[0] for column in result.description if str(column[1]) == "DATE"]
        frame = result.df()
    finally:
        con.close()
    # pandas reads a DATE as a midnight timestamp; a date is what the marts publish.
    for column in dates:
        frame[column] = frame[column].dt.date
    return frame


def bi(publication: Path, sql: str, params: list | None = None) -> pd.DataFrame:
    """A query of the publication's bi.duckdb (schema marts), read-only."""
    return _query(publication / BI_FILE, sql, params)


def _values(database: Path, sql: str, params: list | None = None) -> list:
    """The first column of a query's rows, as Python values (dates stay dates)."""
    con = duckdb.connect(str(database), read_only=True)
    try:
        return [row[0] for row in con.execute(sql, params or []).fetchall()]
    finally:
        con.close()


def _in(column: str, values: list | None) -> tuple[str, list]:
    """A filter `column in (...)`; no filter when values is None (all)."""
    if values is None:
        return "true", []
    return f"{column} in (select unnest(?))", [list(values)]


# ------------------------------------------------------------------------------ filters
def periods(publication: Path, period_type: str) -> list[date]:
    """Period starts of fct_quota_attainment, newest first."""
    return _values(publication / BI_FILE, "select distinct period_start from marts.fct_quota_attainment "
               "where period_type = ? order by period_start desc", [period_type])


def teams(publication: Path) -> list[str]:
    return _values(publication / BI_FILE, "select distinct group_key from marts.fct_quota_attainment "
               "where level = 'team' order by 1")


def segments(publication: Path) -> list[str]:
    """The account segments of the funnel (without its 'all' rows)."""
    return _values(publication / BI_FILE, "select distinct segment from marts.fct_funnel "
                   "where segment <> 'all' order by 1")


# -------------------------------------------------------------------------------- sales
def latest_complete_attainment(publication: Path, period_type: str = "quarter") -> dict[str, Any] | None:
    """The company's attainment and share at quota in the latest complete period."""
    frame = bi(publication, """
        select period_start, period_end, credited_bookings, ramp_adjusted_quota, attainment,
            share_at_quota, reps_with_quota, reps_at_quota
        from marts.fct_quota_attainment
        where level = 'company' and period_type = ? and is_period_complete
        order by period_start desc limit 1""", [period_type])
    return None if frame.empty else frame.iloc[0].to_dict()


def bookings_against_quota(publication: Path, period_type: str, team_list: list[str] | None) -> pd.DataFrame:
    """Per period: credited bookings and ramp-adjusted quota, of the company (all teams) or
    of the chosen teams summed, with attainment = sum bookings / sum quota."""
    if team_list is None:
        level, where, params = "company", "true", []
    else:
        level, (where, params) = "team", _in("group_key", team_list)
    return bi(publication, f"""
        select period_start, is_period_complete,
            sum(credited_bookings) as credited_bookings,
            sum(ramp_adjusted_quota) as ramp_adjusted_quota,
            sum(credited_bookings) / nullif(sum(ramp_adjusted_quota), 0) as attainment
        from marts.fct_quota_attainment
        where level = ? and period_type = ? and {where}
        group by all order by period_start""", [level, period_type, *params])


def rep_attainment(publication: Path, period_type: str, period_start: date,
                   team_list: list[str] | None) -> pd.DataFrame:
    """The attainment of every rep with a quota in one period (the distribution)."""
    where, params = _in("team", team_list)
    return bi(publication, f"""
        select employee_id, team, role, tenure_month, ramp_adjusted_quota, credited_bookings,
            attainment, is_at_quota
        from marts.fct_quota_attainment
        where level = 'rep' and period_type = ? and period_start = ? and attainment is not null
            and {where}
        order by attainment desc""", [period_type, period_start, *params])


def share_at_quota(publication: Path, period_type: str, team_list: list[str] | None) -> pd.DataFrame:
    """Share at quota per team and period (reps at quota / reps with a quota)."""
    where, params = _in("group_key", team_list)
    return bi(publication, f"""
        select group_key as team, period_start, reps_with_quota, reps_at_quota, share_at_quota,
            attainment
        from marts.fct_quota_attainment
        where level = 'team' and period_type = ? and {where}
        order by period_start, team""", [period_type, *params])


def funnel(publication: Path, since: date, until: date, segment_list: list[str] | None) -> pd.DataFrame:
    """Stage conversion (reached k+1 / reached k) and days in stage (mean weighted by the
    transitions measured) of the opportunities created in the cohort months chosen; all
    segments are the mart's segment 'all' rows."""
    where, params = _in("segment", segment_list or ["all"])
    return bi(publication, f"""
        select stage_order, stage_name, any_value(next_stage_name) as next_stage_name,
            sum(reached_count) as reached,
            sum(next_stage_reached_count) as reached_next,
            sum(next_stage_reached_count) / nullif(sum(reached_count), 0) as conversion_rate,
            sum(avg_days_in_stage * days_in_stage_measured)
                / nullif(sum(days_in_stage_measured), 0) as avg_days_in_stage
        from marts.fct_funnel
        where cohort_month between ? and ? and {where}
        group by stage_order, stage_name order by stage_order""", [since, until, *params])


def pipeline_coverage(publication: Path, period_type: str, team_list: list[str] | None) -> pd.DataFrame:
    """Open pipeline and coverage of the current and later periods on the latest snapshot:
    coverage = open pipeline closing in the period / (quota - bookings won in it), summed
    over the reps (of the chosen teams) whose remainder is positive, as METRICS.md defines
    it per rep."""
    where, params = _in("r.team", team_list)
    return bi(publication, f"""
        with latest as (select max(snapshot_date) as snapshot_date from marts.fct_pipeline_coverage),
        reps as (select distinct employee_id, team from marts.dim_rep where is_current)
        select c.snapshot_date, c.period_start, c.period_end,
            sum(c.quota_amount) as quota_amount, sum(c.won_amount) as won_amount,
            sum(c.open_pipeline_amount) as open_pipeline_amount,
            sum(c.open_pipeline_amount) filter (where c.remaining_quota_amount > 0)
                / nullif(sum(c.remaining_quota_amount) filter (where c.remaining_quota_amount > 0), 0)
                as coverage_ratio
        from marts.fct_pipeline_coverage c
        join latest using (snapshot_date)
        left join reps r using (employee_id)
        where c.period_type = ? and {where}
        group by all order by c.period_start""", [period_type, *params])


def win_rate_by_segment(publication: Path, since: date, until: date) -> pd.DataFrame:
    """Win rate (count and amount) and sales cycle (mean and median days, over won
    opportunities) by account segment, of the opportunities closed between two days."""
    return bi(publication, """
        select coalesce(a.segment, 'unknown') as segment,
            count(*) filter (where o.is_won) as won,
            count(*) filter (where o.is_closed and not o.is_won) as lost,
            count(*) filter (where o.is_won) / nullif(count(*) filter (where o.is_closed), 0) as win_rate,
            sum(o.amount) filter (where o.is_won)
                / nullif(sum(o.amount) filter (where o.is_closed), 0) as win_rate_amount,
            avg(o.sales_cycle_days) filter (where o.is_won) as avg_sales_cycle_days,
            median(o.sales_cycle_days) filter (where o.is_won) as median_sales_cycle_days
        from marts.fct_opportunities o
        left join marts.dim_account a using (account_id)
        where o.is_closed and o.close_date between ? and ?
        group by all order by segment""", [since, until])


# ------------------------------------------------------------------------------- people
def turnover(publication: Path, segment_type: str, segment_list: list[str] | None) -> pd.DataFrame:
    """Monthly turnover of one segmentation (company, team or role): rates as published for
    a single segment, else separations / average headcount summed over the segments. Only
    the months whose separations the HR history can show (has_separation_history; before
    them the mart publishes no rate, and counts are lower bounds)."""
    where, params = _in("segment", segment_list)
    return bi(publication, f"""
        select month_start, is_month_complete,
            sum(opening_headcount) as opening_headcount, sum(closing_headcount) as closing_headcount,
            sum(hires) as hires, sum(separations) as separations,
            sum(voluntary_separations) as voluntary, sum(involuntary_separations) as involuntary,
            sum(regretted_separations) as regretted, sum(early_attrition) as early_attrition,
            sum(average_headcount) as average_headcount,
            sum(separations) / nullif(sum(average_headcount), 0) as turnover_rate,
            case when count(*) = 1 then any_value(turnover_rate_t12m) end as turnover_rate_t12m
        from marts.fct_rep_turnover
        where segment_type = ? and has_separation_history and {where}
        group by all order by month_start""", [segment_type, *params])


def turnover_segments(publication: Path, segment_type: str) -> list[str]:
    frame = bi(publication, "select distinct segment from marts.fct_rep_turnover "
               "where segment_type = ? order by 1", [segment_type])


def ramp_curve(publication: Path, team_list: list[str] | None) -> pd.DataFrame:
    """Productivity by tenure month over every rep-month: credited bookings / full quota
    (what a fully ramped rep is asked for) and the ramp-adjusted attainment, summed over
    the reps in that tenure month."""
    where, params = _in("team", team_list)
    return bi(publication, f"""
        select tenure_month, count(*) as rep_months,
            sum(credited_bookings) / nullif(sum(full_quota), 0) as bookings_to_full_quota,
            sum(credited_bookings) / nullif(sum(ramp_adjusted_quota), 0) as ramp_adjusted_attainment
        from marts.fct_quota_attainment
        where level = 'rep' and period_type = 'month' and tenure_month between 1 and 24 and {where}
        group by all order by tenure_month""", params)


# ----------------------------------------------------------------------------- forecast
def forecast_accuracy_by_week(publication: Path, period_type: str, forecast_type: str) -> pd.DataFrame:
    """Company WAPE and accuracy (1 - WAPE, not below 0) by week of period, per period."""
    return bi(publication, """
        select period_start, week_of_period, forecaster_count, forecast_amount, actual_amount,
            wape, greatest(0, 1 - wape) as accuracy, bias
        from marts.fct_forecast_accuracy_rollup
        where level = 'company' and period_type = ? and forecast_type = ?
        order by period_start, week_of_period""", [period_type, forecast_type])


def latest_final_wape(publication: Path, period_type: str, forecast_type: str) -> dict[str, Any] | None:
    """The company WAPE and bias in the final week of the latest period that has ended by
    the as-of day (forecasts are scored only once actuals are in)."""
    frame = bi(publication, """
        with ended as (
            select period_start, max(week_of_period) as week_of_period
            from marts.fct_forecast_accuracy
            where period_type = ? and forecast_type = ? and is_final_week
                and period_end <= cast(? as date)
            group by period_start
        )
        select r.period_start, r.period_end, r.week_of_period, r.wape, r.bias
        from marts.fct_forecast_accuracy_rollup r join ended using (period_start, week_of_period)
        where r.level = 'company' and r.period_type = ? and r.forecast_type = ?
        order by r.period_start desc limit 1""",
        [period_type, forecast_type, manifest(publication)["as_of"], period_type, forecast_type])
    return None if frame.empty else frame.iloc[0].to_dict()


def forecast_types(publication: Path) -> list[str]:
    return _values(publication / BI_FILE, "select distinct forecast_type from marts.fct_forecast_accuracy_rollup order by 1")


def bias_per_forecaster(publication: Path, period_type: str, period_start: date,
                        forecast_type: str) -> pd.DataFrame:
    """Each forecaster's bias (error / actual) in the final week of one period."""
    return bi(publication, """
        select forecaster_id, is_manager, forecast_amount, actual_amount, error, bias
        from marts.fct_forecast_accuracy
        where period_type = ? and period_start = ? and forecast_type = ? and is_final_week
        order by bias desc nulls last""", [period_type, period_start, forecast_type])


def forecast_periods(publication: Path, period_type: str) -> list[date]:
    return _values(publication / BI_FILE, "select distinct period_start from marts.fct_forecast_accuracy "
               "where period_type = ? order by 1 desc", [period_type])


def wape_by_manager(publication: Path, period_type: str, period_start: date, forecast_type: str) -> pd.DataFrame:
    """The WAPE roll-up of each manager's team, by week of one period."""
    return bi(publication, """
        select manager_crm_user_id as manager, week_of_period, forecaster_count, forecast_amount,
            actual_amount, wape, bias
        from marts.fct_forecast_accuracy_rollup
        where level = 'manager' and period_type = ? and period_start = ? and forecast_type = ?
        order by manager, week_of_period""", [period_type, period_start, forecast_type])


# --------------------------------------------------------------------------- data health
def sources_health(info: dict[str, Any]) -> pd.DataFrame:
    """Each source's latest landing day, freshness and rows loaded and rejected."""
    rows = []
    for name, source in sorted(info.get("sources", {}).items()):
        freshness = source.get("freshness") or {}
        rows.append({
            "source": name,
            "latest_landing_day": source.get("latest_landing_day"),
            "lag_days": freshness.get("lag_days"),
            "freshness": freshness.get("status"),
            "rows_loaded": source.get("rows_loaded"),
            "rows_rejected": source.get("rows_rejected"),
        })
    return pd.DataFrame(rows)


def marts_health(info: dict[str, Any], restricted: bool) -> pd.DataFrame:
    """Each published mart's file, rows and check results (passed, warned, failed...);
    the restricted marts are listed only for the --restricted dashboard."""
    rows = []
    for name, mart in sorted(info.get("marts", {}).items()):
        if mart.get("file") == RESTRICTED_FILE and not restricted:
            continue
        checks = mart.get("checks", {})
        rows.append({"mart": name, "file": mart.get("file"), "rows": mart.get("rows"),
                     **{k: checks.get(k, 0) for k in sorted(checks)}})
    frame = pd.DataFrame(rows)
    counts = [c for c in frame.columns if c not in ("mart", "file", "rows")]
    frame[counts] = frame[counts].fillna(0).astype(int)
    return frame


# ------------------------------------------------------------------ finance (restricted)
def reconciliation(publication: Path, period_start: date | None) -> pd.DataFrame:
    """Reconciliation status and variance per rep and plan period, with the rep's name
    (restricted.duckdb; only the --restricted dashboard calls this)."""
    where = "true" if period_start is None else "r.period_start = ?"
    return _query(publication / RESTRICTED_FILE, f"""
        select r.employee_id, p.full_name, r.period_type, r.period_start, r.period_end,
            r.is_period_closed, r.computed_amount, r.paid_amount, r.variance, r.status, r.reason
        from marts.fct_commission_reconciliation r
        left join marts.dim_commission_plan_periods p using (employee_id, period_start, period_type)
        where {where}
        order by abs(r.variance) desc, r.employee_id""", [] if period_start is None else [period_start])


def reconciliation_periods(publication: Path) -> list[date]:
    return _values(publication / RESTRICTED_FILE, "select distinct period_start from "
                   "marts.fct_commission_reconciliation order by 1 desc")
