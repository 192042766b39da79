"""The dashboard's pages: filters, headline figures, charts and tables, from queries.py.

Each page resolves the current publication once (so its figures all come from one
publication) and says which one it shows. Rep names appear only on the Finance page, which
exists only with --restricted.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.express as px
import streamlit as st

from orchestration.dashboard import queries as q


def pct(value: Any) -> str:
    """A ratio as a percentage with one decimal (0.1234 -> 12.3%); a dash when undefined."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{float(value):.1%}"


def money(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{float(value):,.0f}"


def _publication(home: Path, title: str) -> Path | None:
    """The page's title, and the publication this page view shows, with its as-of day in
    the caption; None (and a message saying how to make one) when the home has none."""
    st.title(title)
    try:
        publication = q.current(home)
    except q.NoPublication as missing:
        st.warning(str(missing))
        return None
    info = q.manifest(publication)
    st.caption(f"Publication as of {info.get('as_of')} · published {info.get('published_at')} "
               f"· run {info.get('run_id')}")
    return publication


def _teams_filter(publication: Path, key: str) -> list[str] | None:
    chosen = st.multiselect("Team", q.teams(publication), key=key, placeholder="All teams")
    return chosen or None


def _period_type(key: str) -> str:
    return st.radio("Period", ["quarter", "month"], horizontal=True, key=key)


def _percent_axis(figure) -> None:
    figure.update_yaxes(tickformat=".0%")


# -------------------------------------------------------------------------------- Sales
def sales(home: Path) -> None:
    publication = _publication(home, "Sales")
    if publication is None:
        return
    latest = q.latest_complete_attainment(publication, "quarter")
    if latest is not None:
        quarter = f"{latest['period_start']:%Y-%m-%d} to {latest['period_end']:%Y-%m-%d}"
        c1, c2, c3 = st.columns(3)
        c1.metric(f"Company attainment, latest complete quarter ({quarter})", pct(latest["attainment"]))
        c2.metric("Share of reps at quota, same quarter", pct(latest["share_at_quota"]),
                  help=f"{latest['reps_at_quota']} of {latest['reps_with_quota']} reps with a quota")
        c3.metric("Credited bookings, same quarter", money(latest["credited_bookings"]),
                  help=f"against a ramp-adjusted quota of {money(latest['ramp_adjusted_quota'])}")

    f1, f2 = st.columns(2)
    with f1:
        period_type = _period_type("sales_period_type")
    with f2:
        team_list = _teams_filter(publication, "sales_teams")

    st.subheader("Bookings against quota")
    bookings = q.bookings_against_quota(publication, period_type, team_list)
    long = bookings.melt(id_vars=["period_start"], value_vars=["credited_bookings", "ramp_adjusted_quota"],
                         var_name="measure", value_name="amount")
    st.plotly_chart(px.bar(long, x="period_start", y="amount", color="measure", barmode="group"))
    st.dataframe(bookings, hide_index=True)

    st.subheader("Attainment distribution")
    starts = q.periods(publication, period_type)
    if starts:
        start = st.selectbox("Period starting", starts, key="sales_distribution_period")
        reps = q.rep_attainment(publication, period_type, start, team_list)
        figure = px.histogram(reps, x="attainment", nbins=20, color="team")
        figure.add_vline(x=1.0, line_dash="dash")
        figure.update_xaxes(tickformat=".0%")
        st.plotly_chart(figure)
        st.caption(f"{len(reps)} reps with a quota; {int(reps['is_at_quota'].sum())} at or above it.")

    st.subheader("Share at quota by team")
    share = q.share_at_quota(publication, period_type, team_list)
    figure = px.line(share, x="period_start", y="share_at_quota", color="team", markers=True)
    _percent_axis(figure)
    st.plotly_chart(figure)

    st.subheader("Funnel: stage conversion and days in stage")
    segment_list = st.multiselect("Segment", q.segments(publication), key="sales_segments",
                                  placeholder="All segments") or None
    months = q.periods(publication, "month")[::-1]
    cohort = (months[0], months[-1]) if months else None
    if len(months) > 1:  # a slider needs two ends
        cohort = st.select_slider("Months (created, for the funnel; closed, for win rate and cycle)",
                                  options=months, value=cohort, key="sales_months")
    if cohort:
        stages = q.funnel(publication, cohort[0], cohort[1], segment_list)
        c1, c2 = st.columns(2)
        c1.plotly_chart(px.funnel(stages, x="reached", y="stage_name"))
        c2.plotly_chart(px.bar(stages, x="stage_name", y="avg_days_in_stage"))
        st.dataframe(stages, hide_index=True)

    st.subheader("Open pipeline and coverage (latest snapshot)")
    pipeline = q.pipeline_coverage(publication, period_type, team_list)
    if not pipeline.empty:
        columns = st.columns(len(pipeline))
        for column, row in zip(columns, pipeline.itertuples()):
            column.metric(f"Coverage of the {period_type} from {row.period_start}",
                          "–" if pd.isna(row.coverage_ratio) else f"{row.coverage_ratio:.2f}x",
                          help=f"open pipeline {money(row.open_pipeline_amount)} on {row.snapshot_date}")
        long = pipeline.melt(id_vars=["period_start"], value_vars=["open_pipeline_amount", "won_amount", "quota_amount"],
                             var_name="measure", value_name="amount")
        st.plotly_chart(px.bar(long, x="period_start", y="amount", color="measure", barmode="group"))
    st.dataframe(pipeline, hide_index=True)

    st.subheader("Win rate and sales cycle by segment")
    if cohort:
        closed = q.win_rate_by_segment(publication, cohort[0], _month_end(cohort[1]))
        st.caption(f"Opportunities closed {cohort[0]} to {_month_end(cohort[1])}")
        c1, c2 = st.columns(2)
        figure = px.bar(closed, x="segment", y="win_rate")
        _percent_axis(figure)
        c1.plotly_chart(figure)
        c2.plotly_chart(px.bar(closed, x="segment", y=["avg_sales_cycle_days", "median_sales_cycle_days"],
                               barmode="group"))
        st.dataframe(closed, hide_index=True)


def _month_end(month_start: date) -> date:
    return (pd.Timestamp(month_start) + pd.offsets.MonthEnd(0)).date()


# ------------------------------------------------------------------------------- People
def people(home: Path) -> None:
    publication = _publication(home, "People")
    if publication is None:
        return
    f1, f2 = st.columns(2)
    with f1:
        segment_type = st.radio("Segment by", ["company", "team", "role"], horizontal=True,
                                key="people_segment_type")
    with f2:
        segment_list = None
        if segment_type != "company":
            segment_list = st.multiselect(segment_type.capitalize(), q.turnover_segments(publication, segment_type),
                                          key="people_segments", placeholder=f"All {segment_type}s") or None
    months = q.turnover(publication, segment_type, segment_list)
    if not months.empty:
        st.caption(f"From {months['month_start'].min():%Y-%m}, the first month whose separations the HR "
                   "history can show (fct_rep_turnover.separations_recorded_from).")
    complete = months[months["is_month_complete"]]
    if not complete.empty:
        last = complete.iloc[-1]
        c1, c2, c3 = st.columns(3)
        c1.metric(f"Turnover rate, {last['month_start']:%Y-%m}", pct(last["turnover_rate"]))
        c2.metric(f"Trailing twelve months to {last['month_start']:%Y-%m}", pct(last["turnover_rate_t12m"]),
                  help="Shown for one segment at a time, as the mart publishes it.")
        c3.metric(f"Separations in {last['month_start']:%Y-%m}", int(last["separations"]))

    st.subheader("Turnover rate: monthly and trailing twelve months")
    figure = px.line(months, x="month_start", y=["turnover_rate", "turnover_rate_t12m"], markers=True)
    _percent_axis(figure)
    st.plotly_chart(figure)

    st.subheader("Separations: voluntary, involuntary, regretted, early attrition")
    st.plotly_chart(px.bar(months, x="month_start", y=["voluntary", "involuntary"], barmode="stack"))
    st.plotly_chart(px.line(months, x="month_start", y=["regretted", "early_attrition"], markers=True))
    st.dataframe(months, hide_index=True)

    st.subheader("Ramp curve of new hires")
    team_list = _teams_filter(publication, "people_ramp_teams")
    ramp = q.ramp_curve(publication, team_list)
    figure = px.line(ramp, x="tenure_month", y=["bookings_to_full_quota", "ramp_adjusted_attainment"], markers=True)
    _percent_axis(figure)
    st.plotly_chart(figure)
    st.caption("Credited bookings over the full (unramped) quota, and over the ramp-adjusted quota, "
               "of every rep in that month of tenure (month 1 = the hire month).")


# ----------------------------------------------------------------------------- Forecast
def forecast(home: Path) -> None:
    publication = _publication(home, "Forecast")
    if publication is None:
        return
    f1, f2 = st.columns(2)
    with f1:
        period_type = _period_type("forecast_period_type")
    with f2:
        types = q.forecast_types(publication)
        forecast_type = st.selectbox("Forecast", types, index=types.index("commit") if "commit" in types else 0,
                                     key="forecast_type")
    final = q.latest_final_wape(publication, period_type, forecast_type)
    if final is not None:
        c1, c2 = st.columns(2)
        ended = f"{final['period_start']:%Y-%m-%d} to {final['period_end']:%Y-%m-%d}"
        c1.metric(f"Company WAPE, final week of the latest ended {period_type} ({ended})", pct(final["wape"]))
        c2.metric("Company bias, same week", pct(final["bias"]))
    weeks = q.forecast_accuracy_by_week(publication, period_type, forecast_type)
    st.subheader("Company accuracy by week of period")
    figure = px.line(weeks, x="week_of_period", y="accuracy", color=weeks["period_start"].astype(str), markers=True)
    _percent_axis(figure)
    st.plotly_chart(figure)
    st.dataframe(weeks, hide_index=True)

    starts = q.forecast_periods(publication, period_type)
    if not starts:
        return
    start = st.selectbox("Period starting", starts, key="forecast_period")
    st.subheader("Bias per forecaster (final week)")
    bias = q.bias_per_forecaster(publication, period_type, start, forecast_type)
    figure = px.bar(bias, x="forecaster_id", y="bias", color="is_manager")
    _percent_axis(figure)
    st.plotly_chart(figure)
    st.dataframe(bias, hide_index=True)
    st.subheader("WAPE by manager")
    managers = q.wape_by_manager(publication, period_type, start, forecast_type)
    figure = px.line(managers, x="week_of_period", y="wape", color="manager", markers=True)
    _percent_axis(figure)
    st.plotly_chart(figure)
    st.dataframe(managers, hide_index=True)


# -------------------------------------------------------------------------- Data health
def health(home: Path, restricted: bool) -> None:
    publication = _publication(home, "Data health")
    if publication is None:
        return
    info = q.manifest(publication)
    marts = q.marts_health(info, restricted)
    others = [c for c in marts.columns if c not in ("mart", "file", "rows", "passed")]
    flagged = marts[marts[others].sum(axis=1) > 0] if others else marts.iloc[0:0]
    published_at = pd.Timestamp(info.get("published_at")).tz_convert("UTC")
    c1, c2, c3 = st.columns(3)
    c1.metric("As of", str(info.get("as_of")))
    c2.metric("Published at (UTC)", f"{published_at:%Y-%m-%d %H:%M}")
    c3.metric("Marts without a warning or failed check", f"{len(marts) - len(flagged)} of {len(marts)}")
    for row in flagged.itertuples():
        counts = ", ".join(f"{getattr(row, c)} {c}" for c in others if getattr(row, c))
        st.warning(f"{row.mart}: {counts} (the run's output and HOME/logs say which check)")
    # Small tables, shown whole (st.table) so every figure is on the page at once.
    st.subheader("Sources")
    st.table(q.sources_health(info).set_index("source"))
    st.subheader("Checks per mart")
    st.table(marts.set_index("mart"))
    if info.get("skipped"):
        st.warning(f"Skipped in this publication: {info['skipped']}")


# ------------------------------------------------------------------ Finance (restricted)
def statement_file(home: Path, employee_id: str, period_start: date, period_end: date) -> Path | None:
    """The statement `salesops statements` wrote for this rep covering the plan period,
    if any: HOME/statements/<YYYY-MM>/<employee>.html for a month inside the period, the
    latest such month first."""
    from orchestration.publish.statements import statement_path

    month = pd.Timestamp(period_end).to_period("M")
    first = pd.Timestamp(period_start).to_period("M")
    while month >= first:
        path = statement_path(home, month.to_timestamp().date(), employee_id)
        if path.exists():
            return path
        month -= 1
    return None


def finance(home: Path) -> None:
    publication = _publication(home, "Finance: commission reconciliation")
    if publication is None:
        return
    starts = q.reconciliation_periods(publication)
    if not starts:
        st.info("No reconciliation rows in this publication.")
        return
    start = st.selectbox("Plan period starting", [None, *starts], format_func=lambda d: "All" if d is None else str(d),
                         key="finance_period")
    rows = q.reconciliation(publication, start)
    c1, c2, c3 = st.columns(3)
    c1.metric("Rep-periods matched", f"{int((rows['status'] == 'matched').sum())} of {len(rows)}")
    c2.metric("Total variance (paid - computed)", f"{rows['variance'].astype(float).sum():,.2f}")
    c3.metric("Largest absolute variance", f"{rows['variance'].astype(float).abs().max():,.2f}" if len(rows) else "–")
    st.plotly_chart(px.histogram(rows, x="status", color="status"))
    st.dataframe(rows, hide_index=True)

    st.subheader("Statement")
    labels = {f"{r.full_name or r.employee_id} ({r.employee_id}) · {r.period_type} {r.period_start:%Y-%m-%d}": r
              for r in rows.itertuples()}
    chosen = st.selectbox("Rep and plan period", list(labels), key="finance_statement")
    row = labels[chosen]
    path = statement_file(home, row.employee_id, row.period_start, row.period_end)
    if path is None:
        st.info(f"No statement written for this rep and period yet: `salesops statements --period "
                f"{row.period_end:%Y-%m} --home {home}` writes it.")
    else:
        st.caption(f"{path}")
        st.iframe(path, height=900)


def pages(home: Path, restricted: bool) -> list[st.Page]:
    """The pages of the navigation; Finance only with --restricted."""
    listed: list[tuple[Callable[[], None], str, str]] = [
        (partial(sales, home), "Sales", "sales"),
        (partial(people, home), "People", "people"),
        (partial(forecast, home), "Forecast", "forecast"),
        (partial(health, home, restricted), "Data health", "health"),
    ]
    if restricted:
        listed.append((partial(finance, home), "Finance", "finance"))
    return [st.Page(page, title=title, url_path=path, default=i == 0)
            for i, (page, title, path) in enumerate(listed)]
