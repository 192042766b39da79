"""The dashboard's queries (orchestration/dashboard/queries.py) on the hand-made landing,
against figures worked out by hand from tests/fixtures/handmade."""

from __future__ import annotations

from datetime import date

import pytest

from orchestration.dashboard import queries as q


@pytest.fixture(scope="module")
def publication(handmade_baseline):
    return q.current(handmade_baseline / "home")


def test_a_home_without_a_publication_says_how_to_make_one(tmp_path):
    with pytest.raises(q.NoPublication, match="salesops build"):
        q.current(tmp_path)


def test_bookings_against_quota_by_month(publication):
    # E_AE1 and E_AE2: 30,000 a quarter each in Q1 2025 (10,000 a month, fully ramped). o1
    # (1,000, won 2025-02-20, split 60/40), o3 (2,100, won 2025-03-02, E_AE1). The rehired
    # rep (fixture README): E_AE3 30,000 in Q3 2024 (10,000 a month, no ramp), o21 (2,000, won
    # 2024-08-15); E_AE3R 30,000 in Q1 2025 ramped from the rehire: January 0, February 5,000,
    # March 10,000; o22 (3,000, won 2025-02-14).
    months = q.bookings_against_quota(publication, "month", None)
    assert [(r.period_start, float(r.credited_bookings), float(r.ramp_adjusted_quota), r.attainment)
            for r in months.itertuples()] == [
        (date(2024, 7, 1), 0.0, 10000.0, 0.0),
        (date(2024, 8, 1), 2000.0, 10000.0, pytest.approx(0.2)),
        (date(2024, 9, 1), 0.0, 10000.0, 0.0),
        (date(2025, 1, 1), 0.0, 20000.0, 0.0),
        (date(2025, 2, 1), 4000.0, 25000.0, pytest.approx(0.16)),
        (date(2025, 3, 1), 2100.0, 30000.0, pytest.approx(0.07)),
    ]
    # The team filter gives the same: every rep is in Team West.
    team = q.bookings_against_quota(publication, "month", ["Team West"])
    assert list(team["credited_bookings"].astype(float)) == [0.0, 2000.0, 0.0, 0.0, 4000.0, 2100.0]
    # As of 2025-03-02 the latest complete quarter is Q3 2024 (no quota in Q4): 2,000 / 30,000;
    # February is the latest complete month.
    quarter = q.latest_complete_attainment(publication, "quarter")
    assert quarter["period_start"] == date(2024, 7, 1) and quarter["attainment"] == pytest.approx(2000 / 30000)
    latest = q.latest_complete_attainment(publication, "month")
    assert latest["period_start"] == date(2025, 2, 1) and latest["attainment"] == pytest.approx(0.16)


def test_rep_attainment_distribution(publication):
    # February: E_AE1 600 / 10,000, E_AE2 400 / 10,000, E_AE3R 3,000 / 5,000; nobody at quota.
    reps = q.rep_attainment(publication, "month", date(2025, 2, 1), None)
    assert {r.employee_id: r.attainment for r in reps.itertuples()} == {
        "E_AE1": pytest.approx(0.06), "E_AE2": pytest.approx(0.04), "E_AE3R": pytest.approx(0.6)}
    assert not reps["is_at_quota"].any()


def test_win_rate_and_sales_cycle_by_segment(publication):
    # Live deals closed in Q1 2025: o1 (a1, SMB territory, created 2025-01-10, won 2025-02-20:
    # 41 days), o22 (a1, created 2025-01-13, won 2025-02-14: 32 days) and o3 (a1, created
    # 2025-02-01, won 2025-03-02: 29 days); o2 (lost) was deleted. Mean 102 / 3 = 34, median 32.
    closed = q.win_rate_by_segment(publication, date(2025, 1, 1), date(2025, 3, 31))
    assert [(r.segment, r.won, r.lost, r.win_rate, r.avg_sales_cycle_days, r.median_sales_cycle_days)
            for r in closed.itertuples()] == [("SMB", 3, 0, 1.0, 34.0, 32.0)]
    # Only February: o1 and o22, (41 + 32) / 2.
    february = q.win_rate_by_segment(publication, date(2025, 2, 1), date(2025, 2, 28))
    assert list(february["avg_sales_cycle_days"]) == [36.5]


def test_company_turnover_from_the_first_month_the_hr_history_shows(publication):
    # October 2024: opening 4 (E_MGR, E_AE1, E_AE2, E_AE3), closing 3 (E_AE3's last day
    # 10-31), one voluntary, regretted separation: 1 / 3.5. November and December: 0 / 3.
    # January 2025: 3 -> 4 (E_AE3R rehired 01-06), no separation. February: opening 4,
    # closing 3 (E_AE2's last day 02-28), one voluntary, regretted: 1 / 3.5. March: 0 / 3.
    # Earlier months have no rate (the HR history shows separations from October 2024, the
    # month of the earliest termination), so they are not shown.
    months = q.turnover(publication, "company", None)
    assert [(r.month_start, r.separations, r.voluntary, r.involuntary, r.regretted, r.turnover_rate)
            for r in months.itertuples()] == [
        (date(2024, 10, 1), 1, 1, 0, 1, pytest.approx(1 / 3.5)),
        (date(2024, 11, 1), 0, 0, 0, 0, 0.0),
        (date(2024, 12, 1), 0, 0, 0, 0, 0.0),
        (date(2025, 1, 1), 0, 0, 0, 0, 0.0),
        (date(2025, 2, 1), 1, 1, 0, 1, pytest.approx(1 / 3.5)),
        (date(2025, 3, 1), 0, 0, 0, 0, 0.0),
    ]


def test_the_data_health_tables_read_the_publication_manifest(publication):
    info = q.manifest(publication)
    sources = q.sources_health(info)
    assert list(sources["source"]) == ["comp", "crm", "hr"]
    assert dict(zip(sources["source"], sources["latest_landing_day"])) == {
        "comp": "2025-03-01", "crm": "2025-03-02", "hr": "2025-03-01"}
    marts = q.marts_health(info, restricted=False)
    assert "fct_quota_attainment" in set(marts["mart"])
    assert not {"fct_commissions", "dim_commission_plan_periods"} & set(marts["mart"])
    assert {"fct_commissions", "dim_commission_plan_periods"} <= set(q.marts_health(info, restricted=True)["mart"])
