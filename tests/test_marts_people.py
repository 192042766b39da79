"""The people marts (fct_quota_attainment, fct_rep_turnover) on the generated company, checked
against the generator's ground truth and against conservation identities.

Headcounts and quotas are deterministic functions of the HR and comp files, so they are
compared exactly (no sampling is involved: a tolerance would only hide a bug). Money columns
are rounded to cents per row, so sums over rows carry at most half a cent of rounding per row
rounded; each tolerance below is derived from that bound.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from conftest import published

HALF_CENT = Decimal("0.005")


def _latest_rows(landing: Path, source: str, table: str, key: tuple[str, ...]) -> list[dict]:
    """The latest version of every key of a landing table (CONTRACTS.md: updated_at or
    system_modstamp, else the landing day; then the landing day; then the file position)."""
    versions: dict[tuple, tuple] = {}
    for day_dir in sorted((landing / source).iterdir()):
        path = day_dir / f"{table}.csv"
        if not path.exists():
            continue
        with path.open(encoding="utf-8-sig", newline="") as fh:
            for line, row in enumerate(csv.DictReader(fh)):
                stamp = row.get("updated_at") or row.get("system_modstamp") or day_dir.name
                rank = (stamp.replace("T", " ").rstrip("Z"), day_dir.name, line)
                k = tuple(row[c] for c in key)
                if k not in versions or rank >= versions[k][0]:
                    versions[k] = (rank, row)
    return [row for _, row in versions.values() if str(row.get("is_deleted", "")).lower() not in ("true", "1", "t")]


def _months(period_start: date, period_type: str) -> list[date]:
    n = 1 if period_type == "month" else 3
    return [date(period_start.year + (period_start.month - 1 + i) // 12, (period_start.month - 1 + i) % 12 + 1, 1)
            for i in range(n)]


def _period_end(period_start: date, period_type: str) -> date:
    last = _months(period_start, period_type)[-1]
    return date(last.year + last.month // 12, last.month % 12 + 1, 1) - timedelta(days=1)


def _tenure_month(hire: date, month: date) -> int:
    return (month.year - hire.year) * 12 + month.month - hire.month + 1


def _add_months(month: date, n: int) -> date:
    return date(month.year + (month.month - 1 + n) // 12, (month.month - 1 + n) % 12 + 1, 1)


def _separations_recorded_from(landing: Path) -> date:
    """The fct_rep_turnover rule, recomputed from the landing files: the earlier of the month
    of the earliest termination date the HR export holds and the first month starting on or
    after the first landing day of the HR employee file."""
    terminations = [date.fromisoformat(r["termination_date"])
                    for r in _latest_rows(landing, "hr", "employee", ("employee_id",)) if r["termination_date"]]
    first_landing = min(date.fromisoformat(d.name) for d in (landing / "hr").iterdir()
                        if (d / "employee.csv").exists())
    watched = first_landing if first_landing.day == 1 else _add_months(first_landing.replace(day=1), 1)
    if not terminations:
        return watched
    return min(watched, min(terminations).replace(day=1))


# --- fct_rep_turnover -------------------------------------------------------------------------

def test_company_turnover_equals_the_generators_counts(generated_company, generated_home):
    _, truth = generated_company
    rows = published(
        generated_home,
        "select strftime(month_start, '%Y-%m'), opening_headcount, closing_headcount, hires, "
        "separations, voluntary_separations, involuntary_separations, regretted_separations, "
        "early_attrition from marts.fct_rep_turnover where segment_type = 'company'",
    )
    mart = {r[0]: r[1:] for r in rows}
    assert truth["turnover"], "the ground truth lists no month"
    for month in truth["turnover"]:
        expected = tuple(month[k] for k in (
            "opening_headcount", "closing_headcount", "hires", "separations", "voluntary",
            "involuntary", "regretted", "early_attrition"))
        assert mart.get(month["month"]) == expected, month["month"]


def test_turnover_conserves_headcount_in_every_month_and_segment(generated_home):
    rows = published(
        generated_home,
        "select month_start, segment_type, segment, opening_headcount, closing_headcount, hires, "
        "separations, transfers_in, transfers_out from marts.fct_rep_turnover",
    )
    assert rows
    by_key = {}
    totals: dict[tuple, list[int]] = defaultdict(lambda: [0] * 6)
    for month, stype, segment, opening, closing, hires, seps, t_in, t_out in rows:
        # closing = opening + hires - separations (+ transfers in - transfers out)
        assert closing == opening + hires - seps + t_in - t_out, (month, stype, segment)
        if stype == "company":
            assert t_in == t_out == 0, month
        by_key[(month, stype, segment)] = (opening, closing)
        acc = totals[(month, stype)]
        for i, v in enumerate((opening, closing, hires, seps, t_in, t_out)):
            acc[i] += v
    # Every employee is in exactly one role and one team segment: segments add up to the
    # company, and every transfer out of one segment is a transfer into another.
    for (month, stype), (opening, closing, hires, seps, t_in, t_out) in totals.items():
        company = totals[(month, "company")]
        assert (opening, closing, hires, seps) == tuple(company[:4]), (month, stype)
        assert t_in == t_out, (month, stype)
    # Each month opens where the previous one closed, per segment (rows that are all 0 are
    # left out of the mart: they count as 0 here).
    months = sorted({k[0] for k in by_key})
    segments = {(k[1], k[2]) for k in by_key}
    for previous, month in zip(months, months[1:]):
        for stype, segment in segments:
            closed = by_key.get((previous, stype, segment), (0, 0))[1]
            opened = by_key.get((month, stype, segment), (0, 0))[0]
            assert opened == closed, (month, stype, segment)


def test_turnover_rates_follow_their_definition(generated_company, generated_home):
    # Rates exist only where the HR history can show separations (the model's rule, see
    # test_turnover_rates_are_null_until_the_hr_history_shows_separations): before that
    # month the rate is null, and a trailing-12-month rate whose window reaches before it too.
    recorded_from = _separations_recorded_from(generated_company[0])
    rows = published(
        generated_home,
        "select segment_type, segment, month_start, opening_headcount, closing_headcount, "
        "separations, turnover_rate, turnover_rate_t12m from marts.fct_rep_turnover "
        "where segment_type = 'company' order by month_start",
    )
    assert sum(1 for r in rows if r[2] >= recorded_from) >= 12
    for i, (_, _, month, opening, closing, seps, rate, t12m) in enumerate(rows):
        average = (opening + closing) / 2
        if month < recorded_from:
            assert rate is None, month
        else:
            assert rate == pytest.approx(seps / average, rel=1e-12) if average else rate is None
        if i < 11 or rows[i - 11][2] < recorded_from:
            assert t12m is None, month
        else:
            window = rows[i - 11:i + 1]
            mean = sum((r[3] + r[4]) / 2 for r in window) / 12
            assert t12m == pytest.approx(sum(r[5] for r in window) / mean, rel=1e-12), month


def test_turnover_rates_are_null_until_the_hr_history_shows_separations(generated_company, generated_home):
    """The generated HR export starts with the leavers of the last months before its first
    landing day (2025-01-01) and no one who left earlier: separations are recorded from the
    month of its earliest termination date. Before it every rate is null (the counts stay);
    from it the monthly rate is separations / average headcount, hand-computed here from the
    generator's ground truth (2025), and the trailing-12-month rate of December 2025 (a window
    of 2025 only) = the year's separations / the mean of its months' average headcounts."""
    landing, truth = generated_company
    recorded_from = _separations_recorded_from(landing)
    first_landing = min(date.fromisoformat(d.name) for d in (landing / "hr").iterdir())
    assert recorded_from < first_landing  # the earliest leaver is the evidence here
    rows = published(
        generated_home,
        "select month_start, segment_type, segment, separations, separations_recorded_from, "
        "has_separation_history, turnover_rate, turnover_rate_t12m from marts.fct_rep_turnover",
    )
    before = [r for r in rows if r[0] < recorded_from]
    after = [r for r in rows if r[0] >= recorded_from]
    # Years of history before the first recorded leaver, all with 0 separations in the data.
    assert len({r[0] for r in before if r[1] == "company"}) >= 12
    assert all(r[3] == 0 for r in before)
    for month, stype, segment, _, from_, has_history, rate, t12m in rows:
        assert from_ == recorded_from, (month, stype, segment)
        assert has_history == (month >= recorded_from), (month, stype, segment)
        if month < recorded_from:
            assert rate is None and t12m is None, (month, stype, segment)
        if month < _add_months(recorded_from, 11):
            assert t12m is None, (month, stype, segment)
    company = {r[0]: r for r in after if r[1] == "company"}
    assert company[recorded_from][3] > 0  # the first recorded month holds the earliest leaver
    assert company[recorded_from][6] > 0
    assert company[_add_months(recorded_from, 11)][7] is not None  # first window fully recorded
    months = truth["turnover"]
    assert [m["month"] for m in months] == [f"2025-{m:02d}" for m in range(1, 13)]
    for m in months:
        average = (m["opening_headcount"] + m["closing_headcount"]) / 2
        rate = company[date.fromisoformat(m["month"] + "-01")][6]
        assert rate == pytest.approx(m["separations"] / average, rel=1e-12), m["month"]
    mean = sum((m["opening_headcount"] + m["closing_headcount"]) / 2 for m in months) / 12
    t12m = company[date(2025, 12, 1)][7]
    assert t12m == pytest.approx(sum(m["separations"] for m in months) / mean, rel=1e-12)


# --- fct_quota_attainment ---------------------------------------------------------------------

def test_credited_bookings_add_up_to_the_credits_of_won_deals(generated_home):
    """Every won credit that maps to an HR employee lands in exactly one rep row per period
    type. Compared with the unrounded credits: each rep row is rounded to cents once, so the
    sum may drift by at most half a cent per rep row."""
    import duckdb

    con = duckdb.connect(str(generated_home / "warehouse.duckdb"), read_only=True)
    try:
        span = con.execute(
            "select min(period_start), max(period_end) from marts.fct_quota_attainment "
            "where level = 'rep' and period_type = 'quarter'"
        ).fetchone()
        credits = con.execute(
            "select sum(credited_amount) from intermediate.int_opportunity_credits "
            "where is_won and employee_id is not null and close_date between ? and ?", list(span)
        ).fetchone()[0]
        for period_type in ("month", "quarter"):
            booked, rep_rows = con.execute(
                "select sum(credited_bookings), count(*) from marts.fct_quota_attainment "
                "where level = 'rep' and period_type = ? and period_start between ? and ?",
                [period_type, *span],
            ).fetchone()
            assert abs(booked - credits) <= HALF_CENT * rep_rows, period_type
    finally:
        con.close()


def test_credited_bookings_add_up_to_the_won_amount_of_fct_opportunities(generated_home):
    """Conservation across marts: credited bookings over all rep rows of a period type equal
    the won amount in fct_opportunities over the same span (splits add up to 100%). Only
    deals whose every credit maps to an HR employee are in rep rows: the check is on those
    (the generated company credits no one outside HR; the count of other deals is asserted).
    Tolerance: fct_opportunities rounds each deal to cents and the mart each rep row, so
    half a cent per deal plus half a cent per rep row."""
    span = published(
        generated_home,
        "select min(period_start), max(period_end) from marts.fct_quota_attainment "
        "where level = 'rep' and period_type = 'quarter'",
    )[0]
    won, deals = published(
        generated_home,
        "select sum(amount), count(*) from marts.fct_opportunities "
        "where is_won and close_date between ? and ?", list(span),
    )[0]
    unmapped = published(
        generated_home,
        "select count(*) from marts.fct_opportunities "
        "where is_won and owner_employee_id is null and close_date between ? and ?", list(span),
    )[0][0]
    assert unmapped == 0
    for period_type in ("month", "quarter"):
        booked, rep_rows = published(
            generated_home,
            "select sum(credited_bookings), count(*) from marts.fct_quota_attainment "
            "where level = 'rep' and period_type = ?", [period_type],
        )[0]
        assert abs(booked - won) <= HALF_CENT * (deals + rep_rows), (period_type, booked, won)


def _attainment_tolerance(bookings: Decimal, quota: Decimal) -> float:
    # Both published amounts are within half a cent of the unrounded ones the attainment was
    # computed from: |b/q - b'/q'| <= 0.005 (q + b) / q^2, plus a little for q' vs q and float.
    b, q = float(bookings), float(quota)
    return 0.0051 * (q + b) / (q * q) + 1e-12


def test_attainment_is_bookings_over_ramped_quota_on_every_row(generated_home):
    rows = published(
        generated_home,
        "select level, group_key, period_type, period_start, ramp_adjusted_quota, "
        "credited_bookings, attainment, is_at_quota from marts.fct_quota_attainment",
    )
    assert {r[0] for r in rows} == {"rep", "team", "company"}
    for level, key, ptype, start, quota, bookings, attainment, at_quota in rows:
        if quota == 0:
            assert attainment is None, (level, key, ptype, start)
            continue
        assert quota > 0
        assert abs(attainment - float(bookings / quota)) <= _attainment_tolerance(bookings, quota), (
            level, key, ptype, start)
        if level == "rep":
            assert at_quota == (attainment >= 1), (key, ptype, start)


def test_roll_ups_are_sums_of_their_reps(generated_home):
    reps = published(
        generated_home,
        "select period_type, period_start, coalesce(team, 'unassigned'), full_quota, "
        "ramp_adjusted_quota, credited_bookings, is_at_quota from marts.fct_quota_attainment "
        "where level = 'rep'",
    )
    roll_ups = published(
        generated_home,
        "select level, group_key, period_type, period_start, full_quota, ramp_adjusted_quota, "
        "credited_bookings, rep_count, reps_with_quota, reps_at_quota, share_at_quota "
        "from marts.fct_quota_attainment where level <> 'rep'",
    )
    sums: dict[tuple, list] = defaultdict(lambda: [Decimal(0), Decimal(0), Decimal(0), 0, 0, 0])
    for ptype, start, team, full, ramped, booked, at_quota in reps:
        for key in (("team", team, ptype, start), ("company", "company", ptype, start)):
            acc = sums[key]
            acc[0] += full
            acc[1] += ramped
            acc[2] += booked
            acc[3] += 1
            acc[4] += int(ramped > 0)
            acc[5] += int(bool(at_quota))
    # Not vacuous: there are rep rows, and every team and company group of them has exactly
    # one roll-up row (and no roll-up row lacks its reps).
    assert reps and {k[0] for k in sums} == {"team", "company"}
    assert len(roll_ups) == len(sums)
    assert {(r[0], r[1], r[2], r[3]) for r in roll_ups} == set(sums)
    for level, key, ptype, start, full, ramped, booked, count, with_quota, at_quota, share in roll_ups:
        acc = sums[(level, key, ptype, start)]
        # each rep row and the roll-up are rounded once: half a cent per rep row, plus one
        slack = HALF_CENT * (acc[3] + 1)
        assert abs(full - acc[0]) <= slack and abs(ramped - acc[1]) <= slack and abs(booked - acc[2]) <= slack
        assert (count, with_quota, at_quota) == tuple(acc[3:]), (level, key, ptype, start)
        assert share == (at_quota / with_quota if with_quota else None)


def test_ramped_quotas_equal_the_generators_plan_period_quotas(generated_company, generated_home):
    """The generator computes the ramp-adjusted quota of every plan period it pays
    (commission_reconciliation.quota, METRICS.md arithmetic in Decimal, rounded to cents):
    the mart's rep row for that period must hold the same amount to the cent."""
    _, truth = generated_company
    mart = {
        (e, p, s.isoformat()): q
        for e, p, s, q in published(
            generated_home,
            "select employee_id, period_type, period_start, ramp_adjusted_quota "
            "from marts.fct_quota_attainment where level = 'rep'",
        )
    }
    checked = 0
    for entry in truth["commission_reconciliation"]:
        expected = Decimal(entry["quota"])
        got = mart.get((entry["employee_id"], entry["period_type"], entry["period_start"]), Decimal("0.00"))
        assert got == expected, entry
        checked += 1
    assert checked > 100


def test_a_rep_hired_mid_quarter_has_a_ramped_quarterly_quota_below_full(generated_company, generated_home):
    """Recomputed here from the landing files: the generator's ramp_schedule rows, the quota
    rows, the plan assignments and the hire dates (METRICS.md arithmetic, Decimal)."""
    landing, _ = generated_company
    ramp = {(r["plan_id"], int(r["tenure_month"])): Decimal(r["quota_share"])
            for r in _latest_rows(landing, "comp", "ramp_schedule", ("plan_id", "tenure_month"))}
    hires = {r["employee_id"]: date.fromisoformat(r["hire_date"])
             for r in _latest_rows(landing, "hr", "employee", ("employee_id",))}
    terms = {r["employee_id"]: date.fromisoformat(r["termination_date"])
             for r in _latest_rows(landing, "hr", "employee", ("employee_id",)) if r["termination_date"]}
    assignments = defaultdict(list)
    for r in _latest_rows(landing, "comp", "plan_assignment", ("employee_id", "effective_from")):
        assignments[r["employee_id"]].append(
            (date.fromisoformat(r["effective_from"]),
             date.fromisoformat(r["effective_to"]) if r["effective_to"] else date.max, r["plan_id"]))
    quotas = [r for r in _latest_rows(landing, "comp", "quota", ("employee_id", "period_type", "period_start"))
              if r["currency"] == "USD"]
    monthly = defaultdict(Decimal)
    for r in quotas:
        start = date.fromisoformat(r["period_start"])
        if r["employee_id"] in terms and start > terms[r["employee_id"]]:
            continue
        amount = Decimal(r["quota_amount"])
        for m in _months(start, r["period_type"]):
            monthly[(r["employee_id"], m)] += amount if r["period_type"] == "month" else amount / 3

    def plan_on(emp: str, month: date) -> str | None:
        overlapping = sorted(a for a in assignments[emp] if a[0] <= _period_end(month, "month") and a[1] >= month)
        on_first = [a for a in overlapping if a[0] <= month]
        return (on_first or overlapping or [(None, None, None)])[-1][2]

    mart = {
        (e, s): (full, ramped)
        for e, s, full, ramped in published(
            generated_home,
            "select employee_id, period_start, full_quota, ramp_adjusted_quota "
            "from marts.fct_quota_attainment where level = 'rep' and period_type = 'quarter'",
        )
    }
    mid_quarter = [
        r for r in quotas
        if r["period_type"] == "quarter"
        and date.fromisoformat(r["period_start"]) < hires[r["employee_id"]]
        <= _period_end(date.fromisoformat(r["period_start"]), "quarter")
    ]
    assert mid_quarter, "the generated company has no rep hired mid-quarter with a quarterly quota"
    for r in mid_quarter:
        emp, start = r["employee_id"], date.fromisoformat(r["period_start"])
        expected = Decimal(0)
        for m in _months(start, "quarter"):
            tenure = _tenure_month(hires[emp], m)
            share = Decimal(0) if tenure < 1 else ramp.get((plan_on(emp, m), tenure), Decimal(1))
            expected += monthly[(emp, m)] * share
        full, ramped = mart[(emp, start)]
        assert ramped < full, (emp, start)
        assert ramped == expected.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP), (emp, start, ramped, expected)
