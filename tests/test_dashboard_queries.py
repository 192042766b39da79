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
    # E_AE1 and E_AE2: 30,000 a quarter each (10,000 a month, fully ramped). o1 (1,000, won
    # 2025-02-20, split 60/40), o3 (2,100, won 2025-03-02, E_AE1).
    months = q.bookings_against_quota(publication, "month", None)
    assert [(r.period_start, float(r.credited_bookings), float(r.ramp_adjusted_quota), r.attainment)
            for r in months.itertuples()] == [
        (date(2025, 1, 1), 0.0, 20000.0, 0.0),
        (date(2025, 2, 1), 1000.0, 20000.0, pytest.approx(0.05)),
        (date(2025, 3, 1), 2100.0, 20000.0, pytest.approx(0.105)),
    ]
    # The team filter gives the same: both reps are in Team West.
    team = q.bookings_against_quota(publication, "month", ["Team West"])
    assert list(team["credited_bookings"].astype(float)) == [0.0, 1000.0, 2100.0]
    # As of 2025-03-02 no quarter is complete; February is the latest complete month.
    assert q.latest_complete_attainment(publication, "quarter") is None
    latest = q.latest_complete_attainment(publication, "month")
    assert latest["period_start"] == date(2025, 2, 1) and latest["attainment"] == pytest.approx(0.05)


def test_rep_attainment_distribution(publication):
    # February: E_AE1 600 / 10,000, E_AE2 400 / 10,000; nobody at quota.
    reps = q.rep_attainment(publication, "month", date(2025, 2, 1), None)
    assert {r.employee_id: r.attainment for r in reps.itertuples()} == {
        "E_AE1": pytest.approx(0.06), "E_AE2": pytest.approx(0.04)}
    assert not reps["is_at_quota"].any()


def test_win_rate_and_sales_cycle_by_segment(publication):
    # Live closed deals: o1 (a1, SMB territory, created 2025-01-10, won 2025-02-20: 41 days)
    # and o3 (a1, created 2025-02-01, won 2025-03-02: 29 days); o2 (lost) was deleted.
    closed = q.win_rate_by_segment(publication, date(2025, 1, 1), date(2025, 3, 31))
    assert [(r.segment, r.won, r.lost, r.win_rate, r.avg_sales_cycle_days, r.median_sales_cycle_days)
            for r in closed.itertuples()] == [("SMB", 2, 0, 1.0, 35.0, 35.0)]
    # Only February: o1 alone.
    february = q.win_rate_by_segment(publication, date(2025, 2, 1), date(2025, 2, 28))
    assert list(february["avg_sales_cycle_days"]) == [41.0]


def test_company_turnover_from_the_first_month_the_hr_history_shows(publication):
    # February 2025: opening 3 (E_MGR, E_AE1, E_AE2), closing 2 (E_AE2's last day 02-28),
    # one voluntary, regretted separation: 1 / 2.5. March: 0 / 2. Earlier months have no rate
    # (the HR history shows separations from February), so they are not shown.
    months = q.turnover(publication, "company", None)
    assert [(r.month_start, r.separations, r.voluntary, r.involuntary, r.regretted, r.turnover_rate)
            for r in months.itertuples()] == [
        (date(2025, 2, 1), 1, 1, 0, 1, pytest.approx(0.4)),
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
