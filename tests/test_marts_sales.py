"""The sales marts (dim_account, dim_territory, fct_opportunity_stage_transitions, fct_funnel,
fct_lead_funnel, fct_activities, fct_territory_coverage) on the generated company: win rates and
sales cycles by segment recover the generator's ground truth, and counts are conserved between
the marts and the landing files.

Tolerances come from the sample sizes (comments at each check). The generator draws, per
segment, whether an opportunity is won with a fixed probability and a won deal's cycle from a
lognormal with a fixed mean; `_ground_truth.json` also holds what it realised (won and lost
deals closed in the span, their cycle days), which the marts must reproduce almost exactly.
"""

from __future__ import annotations

import csv
import json
import math
import re
from collections import defaultdict
from pathlib import Path

import duckdb
import pytest

from conftest import published

SEGMENTS = ("SMB", "Mid-Market", "Enterprise")


def _truth_span(truth: dict) -> tuple[str, str]:
    return truth["params"]["start"], truth["params"]["end"]


def _warehouse(home: Path, sql: str) -> list[tuple]:
    """Staging of the same build (counts the marts must conserve); read-only."""
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _live_landing_rows(landing: Path, table: str) -> dict[str, int]:
    """Live rows per type of a CRM activity table (task, event), read straight from the landing
    CSVs, independently of the project's ingestion and staging: the latest version of each key
    (tasks and events have no modstamp: the latest landing day wins, then the later line),
    deleted ones dropped. Headers may be camelCase or snake_case."""
    latest: dict[str, tuple[str, bool]] = {}
    for path in sorted((landing / "crm").glob(f"*/{table}.csv")):  # day folders sort by date
        with path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.reader(fh)
            header = [re.sub(r"(?<!^)(?=[A-Z])", "_", h).lower() for h in next(reader)]
            at = {name: i for i, name in enumerate(header)}
            for row in reader:
                flag = {name: row[i].strip().lower() in ("true", "1", "t") for name, i in at.items()
                        if name in ("is_deleted", "_fivetran_deleted", "_fivetran_active") and row[i].strip()}
                deleted = flag.get("is_deleted", False) or flag.get("_fivetran_deleted", False) or (
                    flag.get("_fivetran_active", True) is False)
                latest[row[at["id"]]] = (row[at["type"]], deleted)
    counts: dict[str, int] = defaultdict(int)
    for activity_type, deleted in latest.values():
        if not deleted:
            counts[activity_type] += 1
    return dict(counts)


def _segment_outcomes(home: Path, start: str, end: str) -> dict[str, tuple[int, int]]:
    rows = published(
        home,
        """
        select a.segment,
               count(case when o.is_won then 1 end),
               count(case when o.is_closed and not o.is_won then 1 end)
        from marts.fct_opportunities as o
        left join marts.dim_account as a on o.account_id = a.account_id
        where o.is_closed and o.close_date between cast(? as date) and cast(? as date)
        group by a.segment
        """,
        [start, end],
    )
    return {segment: (won, lost) for segment, won, lost in rows}


def test_win_rate_by_segment_recovers_the_generators_truth(generated_home, generated_company):
    _, truth = generated_company
    start, end = _truth_span(truth)
    outcomes = _segment_outcomes(generated_home, start, end)
    for segment in SEGMENTS:
        expected = truth["win_rate_by_segment"][segment]
        won, lost = outcomes[segment]
        n = won + lost
        rate = won / n
        # The same deals: the marts count what the generator realised, exactly. The generator
        # counts a deal under its account's territory segment, and accounts only ever move
        # between territories of one region and segment (simco/hr.py, territory realignment),
        # so dim_account's segment is the generator's; reversals and deletions are in both.
        assert won == expected["won"], (segment, won, expected)
        assert lost == expected["lost"], (segment, lost, expected)
        # Against the true probability p: binomial standard error sqrt(p(1-p)/n) (seed 7, 200
        # reps: SMB 3,895 closed deals -> 0.0073; Enterprise 710 -> 0.0144). 3.5 standard
        # errors keep the six checks against true values (3 segments x win rate and cycle) from
        # failing by chance (two-sided 0.05% each), plus 0.6 points for the ~1.5% of won deals
        # the generator reverses after closing (p x 0.015 <= 0.0045 below p).
        p = expected["true_win_probability"]
        standard_error = math.sqrt(p * (1 - p) / n)
        assert abs(rate - p) <= 3.5 * standard_error + 0.006, (segment, rate, p, n)


def test_sales_cycle_by_segment_recovers_the_generators_truth(generated_home, generated_company):
    _, truth = generated_company
    start, end = _truth_span(truth)
    rows = published(
        generated_home,
        """
        select a.segment, count(*), avg(o.sales_cycle_days), median(o.sales_cycle_days)
        from marts.fct_opportunities as o
        left join marts.dim_account as a on o.account_id = a.account_id
        where o.is_won and o.close_date between cast(? as date) and cast(? as date)
        group by a.segment
        """,
        [start, end],
    )
    cycles = {segment: (n, mean, median) for segment, n, mean, median in rows}
    for segment in SEGMENTS:
        expected = truth["cycle_days_by_segment"][segment]
        n, mean, median = cycles[segment]
        # The realised values are computed by the generator on the same won deals.
        assert n == expected["won_deals"], (segment, n, expected)
        assert mean == pytest.approx(expected["realized_mean_days"], abs=0.01)
        assert median == pytest.approx(expected["realized_median_days"], abs=0.5)
        # Against the true mean m: cycles are lognormal with sigma 0.5, so their standard
        # deviation is m x sqrt(exp(0.25) - 1) = 0.533 m and the mean's standard error is
        # 0.533 m / sqrt(n) (seed 7, 200 reps: Enterprise, m = 120, 116 won deals -> 5.9
        # days). Allow 3.5 standard errors plus 5% of m for what the generator does around the
        # draw: closes move to the next weekday (+0..2 days), cycles are rounded and floored at
        # 3 days, and deals closing early in the span cannot have been created before the
        # warm-up.
        m = expected["true_mean_days"]
        standard_error = 0.533 * m / math.sqrt(n)
        assert abs(mean - m) <= 3.5 * standard_error + 0.05 * m, (segment, mean, m, n)


def test_funnel_reached_counts_never_increase_along_the_stages(generated_home):
    rows = published(
        generated_home,
        "select cohort_month, segment, stage_order, stage_name, opportunities, reached_count, "
        "next_stage_reached_count, conversion_rate from marts.fct_funnel "
        "order by cohort_month, segment, stage_order",
    )
    assert rows
    funnels: dict[tuple, list[tuple]] = defaultdict(list)
    for cohort, segment, order, stage, opportunities, reached, next_reached, conversion in rows:
        funnels[(cohort, segment)].append((order, stage, opportunities, reached, next_reached, conversion))
    for key, stages in funnels.items():
        reached = [s[3] for s in stages]
        assert reached == sorted(reached, reverse=True), (key, stages)
        # Every opportunity is shown in an open stage, so all of them reach the first one.
        assert reached[0] == stages[0][2], (key, stages[0])
        for (_, _, _, r, next_reached, conversion), following in zip(stages, stages[1:] + [None]):
            assert next_reached == (following[3] if following else None)
            if following and r:
                assert conversion == pytest.approx(following[3] / r)
    # Segments add up to 'all' stage by stage.
    totals: dict[tuple, int] = defaultdict(int)
    for (cohort, segment), stages in funnels.items():
        if segment != "all":
            for order, stage, _, r, _, _ in stages:
                totals[(cohort, stage)] += r
    for (cohort, segment), stages in funnels.items():
        if segment == "all":
            for order, stage, _, r, _, _ in stages:
                assert totals[(cohort, stage)] == r, (cohort, stage)


def test_funnel_won_stage_and_transitions_conserve_opportunities(generated_home):
    won_reached, won_now, cohorts, opportunities = published(
        generated_home,
        """
        select
            (select sum(reached_count) from marts.fct_funnel
             where segment = 'all' and stage_name = 'Closed Won'),
            (select count(*) from marts.fct_opportunities where is_won),
            (select sum(opportunities) from marts.fct_funnel
             where segment = 'all' and stage_order = 1),
            (select count(*) from marts.fct_opportunities)
        """,
    )[0]
    assert won_reached == won_now
    assert cohorts == opportunities
    (with_rows, current_rows, negative, opportunities) = published(
        generated_home,
        """
        select
            (select count(distinct opportunity_id) from marts.fct_opportunity_stage_transitions),
            (select count(*) from marts.fct_opportunity_stage_transitions where is_current_stage),
            (select count(*) from marts.fct_opportunity_stage_transitions where days_in_stage < 0),
            (select count(*) from marts.fct_opportunities)
        """,
    )[0]
    # Every live opportunity entered at least one stage, and exactly one row is its stage now.
    assert with_rows == opportunities
    assert current_rows == opportunities
    assert negative == 0


def test_lead_funnel_counts_are_monotone_and_conserve_leads(generated_home):
    rows = published(
        generated_home,
        "select cohort_month, lead_source, leads, mqls, sqls, converted, won, touched_leads, "
        "speed_to_lead_hours_median from marts.fct_lead_funnel",
    )
    assert rows
    for cohort, source, leads, mqls, sqls, converted, won, touched, speed in rows:
        assert leads >= mqls >= sqls >= converted >= won >= 0, (cohort, source)
        assert touched <= leads
        assert (speed is None) == (touched == 0)
        assert speed is None or speed >= 0
    (live_leads,) = _warehouse(generated_home, "select count(*) from staging.stg_crm__leads")[0]
    assert sum(r[2] for r in rows) == live_leads


def test_activity_totals_equal_the_live_tasks_and_events(generated_home, generated_company):
    landing, _ = generated_company
    tasks = _live_landing_rows(landing, "task")
    events = _live_landing_rows(landing, "event")
    calls, emails, meetings, other = published(
        generated_home,
        "select sum(calls), sum(emails), sum(meetings), sum(other_activities) from marts.fct_activities",
    )[0]
    assert calls == tasks.get("Call", 0)
    assert emails == tasks.get("Email", 0)
    assert meetings == events.get("Meeting", 0)
    other_expected = sum(n for t, n in tasks.items() if t not in ("Call", "Email")) + sum(
        n for t, n in events.items() if t != "Meeting"
    )
    assert other == other_expected
    assert calls + emails + meetings + other == sum(tasks.values()) + sum(events.values())


def test_activities_open_opportunities_of_the_as_of_week_are_todays_open_deals(generated_home):
    # The week holding the as-of day is measured at the end of the as-of day, when every
    # opportunity's state (its latest history row, METRICS.md Pipeline) is its current row -
    # the generator writes a history row for every version it emits: so the reps' open
    # opportunities are the open deals fct_opportunities shows.
    as_of = json.loads((generated_home / "published" / "publication.json").read_text())["as_of"]
    measured, open_now = published(
        generated_home,
        """
        select
            (select sum(open_opportunities) from marts.fct_activities
             where week_start = date_trunc('week', cast(? as date))),
            (select count(*) from marts.fct_opportunities where not is_closed)
        """,
        [as_of],
    )[0]
    assert measured == open_now


def test_territory_coverage_is_consistent_with_accounts_deals_and_bookings(generated_home):
    rows = published(
        generated_home,
        "select territory_id, month_start, accounts, unowned_accounts, neglected_accounts, "
        "deals_created, cross_territory_deals_created, deals_closed, cross_territory_deals_closed, "
        "reps, rep_bookings, bookings_per_rep, bookings_per_rep_range from marts.fct_territory_coverage",
    )
    assert rows
    for (territory, month, accounts, unowned, neglected, created, cross_created, closed, cross_closed,
         reps, bookings, per_rep, spread) in rows:
        assert 0 <= unowned <= accounts and 0 <= neglected <= accounts
        assert 0 <= cross_created <= created and 0 <= cross_closed <= closed
        if reps:
            # bookings_per_rep is the exact quotient rounded to cents.
            assert abs(per_rep * reps - bookings) <= reps * 0.005 + 0.005, (territory, month)
            assert spread >= 0
        else:
            assert per_rep is None
    # The last month is measured on the as-of day: its accounts are the territories' accounts
    # in dim_account, and its open pipeline is today's open deals, each converted here at its
    # own currency's latest rate on or before its close date and rounded to cents (per-deal
    # rounding against the mart's rounding of the sum: at most half a cent per deal apart).
    (accounts_last, pipeline_last) = published(
        generated_home,
        """
        select sum(accounts), sum(open_pipeline_amount) from marts.fct_territory_coverage
        where month_start = (select max(month_start) from marts.fct_territory_coverage)
        """,
    )[0]
    (accounts_now,) = published(
        generated_home,
        "select count(*) from marts.dim_account "
        "where territory_id in (select territory_id from marts.dim_territory)",
    )[0]
    (pipeline_now, open_deals) = _warehouse(
        generated_home,
        """
        select
            sum(round(o.amount_local * case when o.currency = 'USD' then 1 else (
                select f.rate_to_reporting from staging.stg_comp__fx_rates as f
                where f.currency = o.currency and f.rate_date <= o.close_date
                order by f.rate_date desc limit 1) end, 2)),
            count(*)
        from staging.stg_crm__opportunities as o
        join marts.dim_account as a on o.account_id = a.account_id
        where not o.is_closed and a.territory_id in (select territory_id from marts.dim_territory)
        """,
    )[0]
    assert accounts_last == accounts_now
    assert abs(pipeline_last - pipeline_now) <= open_deals * 0.005 + 0.005
    # Credited bookings of the territories' reps never exceed all credited won bookings.
    by_month = published(
        generated_home,
        """
        select c.month_start, c.rep_bookings, coalesce(w.won, 0)
        from (select month_start, sum(rep_bookings) as rep_bookings
              from marts.fct_territory_coverage group by month_start) as c
        left join (select date_trunc('month', close_date) as month_start, sum(amount) as won
                   from marts.fct_opportunities where is_won group by 1) as w
            on c.month_start = w.month_start
        """,
    )
    for month, rep_bookings, won in by_month:
        assert rep_bookings <= won + 1, month


def test_dims_cover_every_live_account_and_territory(generated_home):
    accounts, live_accounts, territories, live_territories, assigned = (
        published(generated_home, "select count(*) from marts.dim_account")[0]
        + _warehouse(generated_home, "select count(*) from staging.stg_crm__accounts")[0]
        + published(generated_home, "select count(*) from marts.dim_territory")[0]
        + _warehouse(generated_home, "select count(*) from staging.stg_crm__territories")[0]
        + published(generated_home, "select sum(accounts) from marts.dim_territory")[0]
    )
    assert accounts == live_accounts
    assert territories == live_territories
    (with_territory,) = published(
        generated_home,
        "select count(*) from marts.dim_account where territory_id in "
        "(select territory_id from marts.dim_territory)",
    )[0]
    assert assigned == with_territory
    # Segments are the generator's three.
    segments = {s for (s,) in published(generated_home, "select distinct segment from marts.dim_territory")}
    assert segments == set(SEGMENTS)
