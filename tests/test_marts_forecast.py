"""The forecast marts (fct_pipeline_snapshot, fct_pipeline_coverage, fct_forecast_accuracy,
fct_forecast_accuracy_rollup) on the generated company, checked against the generator's ground
truth and against conservation identities.

How the generator forecasts (simco/sim.py, Simulation._forecasts): every Monday each AE, AM and
manager submits, for the current month and quarter, commit = (1 + b) x A x (1 + e), rounded to
whole hundreds, where b is the forecaster's bias (gauss(0, 0.15) clipped to +-0.45, in the ground
truth as `forecaster_bias`), A the planned actual for the period (own credited bookings plus the
team's, read from HR at the period's last day as METRICS.md says) and e ~ N(0, s) with
s = 0.25 x (1 - progress) + 0.02: on the period's last Monday (progress 1) s = 0.02. The
final-week commit of METRICS.md (latest submission on or before the period's last day) is that
last Monday's call.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import pytest

from conftest import published

CENT = Decimal("0.01")
HALF_CENT = Decimal("0.005")

def _warehouse(home: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def test_foreign_amounts_are_converted_at_their_own_currencys_rate(generated_home):
    """Every non-USD opportunity in staging is converted at its own currency's rate in force
    on the close date, recomputed here with the rate lookup qualified (a past bug bound the
    lookup to any currency's rate). The generated company sells in EUR and GBP too, so the
    non-USD set must not be empty, and every one of its rows must find a rate and have an
    amount: a NULL would otherwise drop out of the comparison and pass unseen."""
    foreign, without_rate, wrong = _warehouse(
        generated_home,
        """
        select count(*),
               count(*) filter (where rate is null or amount is null),
               count(*) filter (where abs(amount - amount_local * rate) > 0.005)
        from (
            select o.amount, o.amount_local, (
                select fx.rate_to_reporting from staging.stg_comp__fx_rates as fx
                where fx.currency = o.currency and fx.rate_date <= o.close_date
                order by fx.rate_date desc limit 1) as rate
            from staging.stg_crm__opportunities as o
            where o.currency <> 'USD'
        )
        """,
    )[0]
    assert foreign > 0, "no non-USD opportunity: the conversion is not exercised"
    assert without_rate == 0, f"{without_rate} non-USD opportunities without a rate or an amount"
    assert wrong == 0


def _forecasters_with_foreign_deals(home: Path) -> set[str]:
    """Forecasters whose actual includes a deal in a currency other than the reporting one."""
    rows = _warehouse(
        home,
        """
        select distinct scopes.forecaster_id
        from intermediate.int_forecast_scopes as scopes
        inner join intermediate.int_opportunity_credits as credits
            on scopes.member_crm_user_id = credits.crm_user_id
        inner join staging.stg_crm__opportunities as o
            on credits.opportunity_id = o.opportunity_id
        where o.currency <> 'USD'
        """,
    )
    return {r[0] for r in rows}


def _round_cents(x: Decimal) -> Decimal:
    return x.quantize(CENT, rounding=ROUND_HALF_UP)


# The generator plans each period's actual when the quarter starts, leaving out the won deals it
# will reverse later (4 to 70 days after the close date, moved to a weekday: at most 72). A
# reversal planned after the last generated day never reaches the data, so those deals stay won
# in the warehouse (rightly, as of that day) but not in the generator's actual. Only periods that
# ended at least this many days before the last generated day are compared with the truth.
SETTLED_DAYS = 75


def _final_week_commits(home: Path, data_end: date) -> list[tuple]:
    """(forecaster, period_type, period_start, forecast, actual, bias) of the final-week commit
    rows of settled periods whose counted submission was made on the period's last Monday
    (submitted in the last 7 days: s = 0.02 for it). Forecasters who left or started mid-period
    made their last call earlier, with a noisier e; they are left out of the bias estimate."""
    return published(
        home,
        """
        select forecaster_id, period_type, period_start, forecast_amount, actual_amount, bias
        from marts.fct_forecast_accuracy
        where forecast_type = 'commit' and is_final_week
          and cast(submitted_at as date) >= period_end - interval 6 day
          and period_end <= ?
        """,
        [data_end - timedelta(days=SETTLED_DAYS)],
    )


def _data_end(truth: dict) -> date:
    return date.fromisoformat(truth["params"]["end"])


# --- week of period ----------------------------------------------------------------------------

def test_week_of_period_follows_metrics_definition_on_hand_worked_periods(generated_home):
    """METRICS.md: week 1 starts on the period's first day, week k covers days 7(k-1) .. 7k-1
    from it, the last week ends on the period's last day. Worked by hand:
    - February 2025 (28 days): 4 full weeks, 02-01..02-07, 02-08..02-14, 02-15..02-21, 02-22..02-28;
    - March 2025 (31 days): week 5 is days 28..30 = 03-29..03-31 (short);
    - Q1 2025 (90 days): 13 weeks, week 13 = days 84..89 = 03-26..03-31 (6 days);
    - Q3 2025 (92 days, Jul 1 .. Sep 30): week 13 = days 84..90 = 09-23..09-29 and week 14 is
      day 91 alone, 09-30."""
    def weeks(period_type: str, period_start: date) -> list[tuple]:
        return published(
            generated_home,
            "select distinct week_of_period, week_start_date, week_end_date, weeks_in_period "
            "from marts.fct_forecast_accuracy where period_type = ? and period_start = ? order by 1",
            [period_type, period_start],
        )

    d = date
    assert weeks("month", d(2025, 2, 1)) == [
        (1, d(2025, 2, 1), d(2025, 2, 7), 4), (2, d(2025, 2, 8), d(2025, 2, 14), 4),
        (3, d(2025, 2, 15), d(2025, 2, 21), 4), (4, d(2025, 2, 22), d(2025, 2, 28), 4),
    ]
    assert weeks("month", d(2025, 3, 1))[-1] == (5, d(2025, 3, 29), d(2025, 3, 31), 5)
    q1 = weeks("quarter", d(2025, 1, 1))
    assert len(q1) == 13 and q1[-1] == (13, d(2025, 3, 26), d(2025, 3, 31), 13)
    q3 = weeks("quarter", d(2025, 7, 1))
    assert q3[-2:] == [(13, d(2025, 9, 23), d(2025, 9, 29), 14), (14, d(2025, 9, 30), d(2025, 9, 30), 14)]


def test_commit_counts_the_latest_submission_on_or_before_the_week_end(generated_home):
    """Against the submissions themselves (staging): for every commit row, the counted
    submission is the forecaster's latest commit for the period submitted before the day after
    week_end_date, and no row counts a submission made after the period's last day."""
    mismatches = _warehouse(
        generated_home,
        """
        with expected as (
            select a.forecaster_id, a.period_type, a.period_start, a.week_of_period,
                   arg_max(s.forecast_submission_id, (s.submitted_at, s.forecast_submission_id)) as submission_id
            from marts.fct_forecast_accuracy as a
            inner join staging.stg_crm__forecast_submissions as s
                on s.forecaster_id = a.forecaster_id and s.period_type = a.period_type
               and s.period_start = a.period_start and s.forecast_category = 'commit'
               and s.submitted_at < a.week_end_date + interval 1 day
            where a.forecast_type = 'commit'
            group by all
        )
        select count(*)
        from marts.fct_forecast_accuracy as a
        left join expected as e using (forecaster_id, period_type, period_start, week_of_period)
        where a.forecast_type = 'commit'
          and (e.submission_id is distinct from a.forecast_submission_id
               or cast(a.submitted_at as date) > a.period_end)
        """,
    )[0][0]
    assert mismatches == 0


# --- ground truth: forecaster bias -------------------------------------------------------------

def _bias_groups(home: Path, truth: dict) -> dict[str, set[str]]:
    foreign = _forecasters_with_foreign_deals(home)
    everyone = {r[0] for r in _final_week_commits(home, _data_end(truth))}
    return {"reporting_currency_only": everyone - foreign, "with_foreign_currency_deals": everyone & foreign}


@pytest.mark.parametrize("group", ["reporting_currency_only", "with_foreign_currency_deals"])
def test_each_forecasters_bias_is_recovered_from_final_week_commits(generated_company, generated_home, group):
    """The median over settled periods of the final-week commit's bias (error / actual)
    recovers each forecaster's true bias b. Per period, bias = (1 + b)(1 + e)(1 + r) - 1 with
    e ~ N(0, 0.02) and r the rounding to hundreds (|r| <= 50 / actual), so bias - b is
    N(0, 0.02 (1 + b)) plus at most 50 / actual. The median of n such draws has standard error
    1.2533 x 0.02 (1 + |b|) / sqrt(n); the tolerance is 4.5 of those (a false alarm about 1 in
    150,000 per forecaster, so about 1 in 1,000 over the ~150 forecasters checked) plus the
    worst rounding term. Only forecasters with at least 6 such periods with actual >= 10,000
    are checked (rounding <= 0.005). Sandbaggers (b <= -0.1) and optimists (b >= 0.1) must get
    the sign right."""
    _, truth = generated_company
    true_bias = truth["forecaster_bias"]
    members = _bias_groups(generated_home, truth)[group]
    per_forecaster: dict[str, list[float]] = defaultdict(list)
    for forecaster, _, _, _, actual, bias in _final_week_commits(generated_home, _data_end(truth)):
        if forecaster in members and actual >= 10_000:
            per_forecaster[forecaster].append(bias)
    checked = 0
    failures = []
    for forecaster, biases in sorted(per_forecaster.items()):
        if len(biases) < 6:
            continue
        b = true_bias[forecaster]
        median = statistics.median(biases)
        tolerance = 4.5 * 1.2533 * 0.02 * (1 + abs(b)) / math.sqrt(len(biases)) + 0.005
        checked += 1
        if abs(median - b) > tolerance:
            failures.append((forecaster, len(biases), round(median, 4), b, round(tolerance, 4)))
        if abs(b) >= 0.1 and (median > 0) != (b > 0):
            failures.append((forecaster, "wrong sign", round(median, 4), b))
    assert checked >= 10, f"only {checked} forecasters with enough periods in {group}"
    assert not failures, failures


@pytest.mark.parametrize("group", ["reporting_currency_only", "with_foreign_currency_deals"])
def test_every_settled_final_commit_matches_the_generators_actual(generated_company, generated_home, group):
    """Per forecaster and settled period, not pooled: final commit / actual - 1 must be within
    the generator's noise of the forecaster's b, i.e. |bias - b| <= 5 x 0.02 x (1 + |b|) +
    50 / actual (5 standard deviations: a false alarm about 1 in 1.7 million per row, well under
    1% over the few thousand rows). A wrong actual - a team member missed or counted twice, a
    leaver, a split or a period boundary - moves a row by far more than that. Rows with actual
    >= 2,000 (rounding <= 2.5%). The ground truth's pooled `forecast_realized_bias` is not
    compared: it includes the last periods, whose late reversals the warehouse rightly still
    counts as won (see SETTLED_DAYS)."""
    _, truth = generated_company
    true_bias = truth["forecaster_bias"]
    members = _bias_groups(generated_home, truth)[group]
    rows = [r for r in _final_week_commits(generated_home, _data_end(truth))
            if r[0] in members and r[4] >= 2_000]
    assert len(rows) > 300
    failures = []
    for forecaster, period_type, period_start, forecast, actual, bias in rows:
        b = true_bias[forecaster]
        tolerance = 5 * 0.02 * (1 + abs(b)) + 50 / float(actual)
        if abs(bias - b) > tolerance:
            failures.append((forecaster, period_type, str(period_start), forecast, actual, round(bias, 4), b))
    assert not failures, failures[:20]


# --- conservation: actual ------------------------------------------------------------------------

def test_actual_is_the_same_on_every_row_of_a_forecaster_period(generated_home):
    """Actual depends on the forecaster and the period only, not on the week or forecast type."""
    rows = published(
        generated_home,
        "select count(*) from (select forecaster_id, period_type, period_start "
        "from marts.fct_forecast_accuracy group by all having count(distinct actual_amount) > 1)",
    )
    assert rows == [(0,)]


def test_a_reps_actual_equals_their_credited_bookings(generated_home):
    """For forecasters who manage no one, actual = their own credited bookings in the period:
    the won credits of int_opportunity_credits (splits included) with close date in the period,
    summed unrounded and rounded to cents once, like the mart: equal to the cent."""
    credits = _warehouse(
        generated_home,
        """
        select a.forecaster_id, a.period_type, a.period_start, a.actual_amount,
               coalesce(sum(c.credited_amount), 0) as booked
        from marts.fct_forecast_accuracy as a
        left join intermediate.int_opportunity_credits as c
            on c.crm_user_id = a.forecaster_id and c.is_won
           and c.close_date between a.period_start and a.period_end
        where not a.is_manager and a.forecast_type = 'weighted_pipeline' and a.week_of_period = 1
        group by all
        """,
    )
    assert len(credits) > 500
    wrong = [r for r in credits if _round_cents(Decimal(r[4])) != r[3]]
    assert not wrong, wrong[:10]


def test_a_managers_actual_adds_up_the_team_read_from_dim_rep(generated_home):
    """Independent recomputation from the published dim_rep (HR job periods): the employees
    below manager f on the period's last day (walking up manager_employee_id), plus those who
    left during the period while below f on their last day, plus f. Their credits (warehouse
    int_opportunity_credits) summed unrounded and rounded once must give the mart's actual."""
    reps = published(
        generated_home,
        "select employee_id, crm_user_id, manager_employee_id, valid_from, valid_to, termination_date "
        "from marts.dim_rep",
    )
    periods_of: dict[str, list[tuple]] = defaultdict(list)
    user_of: dict[str, str] = {}
    termination: dict[str, date | None] = {}
    for emp, user, mgr, start, end, term in reps:
        periods_of[emp].append((start, end or date.max, mgr))
        user_of[emp] = user
        termination[emp] = term

    def manager_on(emp: str, day: date) -> str | None:
        for start, end, mgr in periods_of.get(emp, ()):
            if start <= day <= end:
                return mgr
        return None

    def above(emp: str, day: date) -> set[str]:
        seen: set[str] = set()
        mgr = manager_on(emp, day)
        while mgr is not None and mgr not in seen and mgr != emp:
            seen.add(mgr)
            mgr = manager_on(mgr, day)
        return seen

    booked: dict[tuple[str, date, date], Decimal] = defaultdict(Decimal)
    for user, start, end, amount in _warehouse(
        generated_home,
        """
        select c.crm_user_id, p.period_start, p.period_end, sum(c.credited_amount)
        from intermediate.int_opportunity_credits as c
        inner join (select distinct period_start, period_end from marts.fct_forecast_accuracy) as p
            on c.close_date between p.period_start and p.period_end
        where c.is_won
        group by all
        """,
    ):
        booked[(user, start, end)] += Decimal(amount)

    managers = published(
        generated_home,
        "select distinct forecaster_id, forecaster_employee_id, period_start, period_end, actual_amount "
        "from marts.fct_forecast_accuracy where is_manager",
    )
    assert len(managers) > 50
    wrong = []
    for forecaster, emp_f, start, end, actual in managers:
        team = {e for e in periods_of if emp_f in above(e, end)}
        team |= {e for e, term in termination.items()
                 if term is not None and start <= term < end and emp_f in above(e, term)}
        users = {forecaster} | {user_of[e] for e in team if user_of[e]}
        expected = _round_cents(sum((booked.get((u, start, end), Decimal(0)) for u in users), Decimal(0)))
        if expected != actual:
            wrong.append((forecaster, start, end, actual, expected))
    assert not wrong, wrong[:10]


def test_wape_rollup_reproduces_from_the_forecaster_rows(generated_home):
    """WAPE = sum |error| / sum actual of the published forecaster rows (exact: the roll-up sums
    the cent-rounded rows), for the company and each manager group."""
    rows = published(
        generated_home,
        """
        with detail as (
            select 'company' as level, 'company' as group_key, * from marts.fct_forecast_accuracy
            union all
            select 'manager', forecaster_manager_employee_id, * from marts.fct_forecast_accuracy
            where forecaster_manager_employee_id is not null
        ),
        recomputed as (
            select level, group_key, period_type, period_start, week_of_period, forecast_type,
                   sum(abs(error)) as absolute_error, sum(actual_amount) as actual_amount
            from detail group by all
        )
        select count(*), count(r.level),
               count(*) filter (where r.absolute_error <> d.absolute_error
                   or abs(coalesce(r.wape, -1) - coalesce(
                       cast(d.absolute_error as double) / cast(nullif(d.actual_amount, 0) as double), -1)) > 1e-12)
        from recomputed as d
        left join marts.fct_forecast_accuracy_rollup as r
            using (level, group_key, period_type, period_start, week_of_period, forecast_type)
        """,
    )
    total, matched, wrong = rows[0]
    assert total > 0 and matched == total and wrong == 0


# --- pipeline ----------------------------------------------------------------------------------

def test_latest_snapshot_equals_the_open_opportunities(generated_home):
    """At the as-of day (the latest snapshot) the state of every opportunity is its current row
    when history is consistent with it. The generator writes an opportunity_history row with the
    stage, amount and close date of every version it emits (simco/sim.py, _h_opp_step; reversals
    too) and deletes history with the opportunity, so it is: the snapshot equals the open
    opportunities of fct_opportunities, per owner and stage, in count exactly and in amount to
    half a cent per opportunity (fct_opportunities rounds each, the snapshot each group)."""
    as_of = published(generated_home, "select max(snapshot_date) from marts.fct_pipeline_snapshot")[0][0]
    snapshot = {
        (owner, stage): (count, amount)
        for owner, stage, count, amount in published(
            generated_home,
            "select owner_id, stage_name, sum(open_opportunity_count), sum(open_pipeline_amount) "
            "from marts.fct_pipeline_snapshot where snapshot_date = ? group by all", [as_of],
        )
    }
    current = {
        (owner, stage): (count, amount, foreign)
        for owner, stage, count, amount, foreign in published(
            generated_home,
            "select owner_id, stage_name, count(*), sum(amount), bool_or(currency <> 'USD') "
            "from marts.fct_opportunities where not is_closed and created_date <= ? group by all", [as_of],
        )
    }
    assert len(current) > 50
    assert {k: v[0] for k, v in snapshot.items()} == {k: v[0] for k, v in current.items()}
    off = [(k, snapshot[k][1], v[1], v[2]) for k, v in current.items()
           if abs(snapshot[k][1] - v[1]) > HALF_CENT * (v[0] + 1)]
    assert not off, off[:10]


def test_snapshots_are_sundays_and_the_as_of_day(generated_home):
    """Choice documented in the YAML: every Sunday from the first landing day's week (2025-01-01
    is a Wednesday: first snapshot Sunday 2025-01-05) to the as-of day 2025-12-31 (a Wednesday,
    the running week), so 52 Sundays + 1."""
    dates = [r[0] for r in published(
        generated_home, "select distinct snapshot_date from marts.fct_pipeline_snapshot order by 1")]
    assert dates[0] == date(2025, 1, 5)
    assert dates[-1] == date(2025, 12, 31)
    assert all(d.isoweekday() == 7 for d in dates[:-1])
    assert len(dates) == 53 and all(b - a == timedelta(days=7) for a, b in zip(dates[:-2], dates[1:-1]))


def test_coverage_follows_its_definition(generated_home):
    """coverage = open pipeline / (quota - won) when that remainder is positive, else null; the
    remainder is quota - won (each within a cent, as all three are rounded separately)."""
    rows = published(
        generated_home,
        "select quota_amount, won_amount, remaining_quota_amount, open_pipeline_amount, coverage_ratio "
        "from marts.fct_pipeline_coverage",
    )
    assert len(rows) > 1000
    for quota, won, remaining, pipeline, coverage in rows:
        assert abs(remaining - (quota - won)) <= CENT
        if remaining >= 100:
            # each of pipeline and remainder is within half a cent of the unrounded value
            assert coverage == pytest.approx(float(pipeline) / float(remaining), rel=1e-4)
        elif remaining <= 0:
            assert coverage is None
