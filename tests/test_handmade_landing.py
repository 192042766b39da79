"""A landing folder written by hand (tests/fixtures/handmade) builds end to end, and the
published marts hold what a person works out from the files."""

import shutil
from datetime import date
from decimal import Decimal

import duckdb
import pytest

from conftest import build, published


@pytest.fixture(scope="module")
def home(handmade_baseline):
    return handmade_baseline / "home"


def test_latest_version_wins_and_deletes_disappear(home):
    rows = published(
        home,
        "select opportunity_id, stage_name, is_won, amount, currency, sales_cycle_days, "
        "owner_employee_id from marts.fct_opportunities order by opportunity_id",
    )
    # o2 is deleted on 2025-03-02. o3 arrives twice that day: the 15:00 version (Closed Won,
    # 2100) is listed before the 10:00 one and still wins. A blank currency is USD.
    # Cycles: o1 2025-01-10 -> 2025-02-20 = 21 + 20 = 41 days; o3 2025-02-01 -> 2025-03-02 = 29.
    assert rows == [
        ("o1", "Closed Won", True, Decimal("1000.00"), "USD", 41, "E_AE1"),
        ("o3", "Closed Won", True, Decimal("2100.00"), "USD", 29, "E_AE1"),
    ]


def test_dim_rep_has_one_row_per_job_period(home):
    rows = published(
        home,
        "select employee_id, role, valid_from, valid_to, is_current, manager_crm_user_id "
        "from marts.dim_rep order by employee_id, valid_from",
    )
    assert rows == [
        ("E_AE1", "SDR", date(2024, 1, 8), date(2024, 6, 30), False, "u_mgr"),
        ("E_AE1", "AE", date(2024, 7, 1), None, True, "u_mgr"),
        # Terminated 2025-02-28 (last day worked): the AE period closes there.
        ("E_AE2", "AE", date(2024, 9, 2), date(2025, 2, 28), False, "u_mgr"),
        ("E_MGR", "Manager", date(2023, 1, 2), None, True, None),
    ]


def test_extra_and_fivetran_columns_are_kept_in_raw(home):
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        rows = con.execute(
            "select id, segment_note, _fivetran_deleted from raw.crm__account order by id"
        ).fetchall()
    finally:
        con.close()
    assert rows == [("a1", "strategic", False), ("a2", None, False)]


def test_build_as_of_an_earlier_day_gives_that_days_marts(handmade_baseline, tmp_path):
    # A copy of the built home, as of the first landing day: o2 is not deleted yet and o3 is
    # still open. o2 is 500 EUR closing 2025-02-25: the rate in force is 2025-02-01's 1.05 ->
    # 525.00. (A copy, so the shared baseline stays as every other test expects it.)
    root = tmp_path / "copy"
    shutil.copytree(handmade_baseline, root, symlinks=True)
    home = root / "home"
    assert build(root / "landing", home, as_of="2025-03-01") == 0
    rows = published(
        home,
        "select opportunity_id, stage_name, is_won, amount, sales_cycle_days "
        "from marts.fct_opportunities order by opportunity_id",
    )
    assert rows == [
        ("o1", "Closed Won", True, Decimal("1000.00"), 41),
        ("o2", "Closed Lost", False, Decimal("525.00"), None),
        ("o3", "Proposal/Price Quote", False, Decimal("2000.00"), None),
    ]
    # The shared baseline still publishes the latest day (o2 deleted, o3 won).
    assert published(
        handmade_baseline / "home",
        "select opportunity_id, stage_name from marts.fct_opportunities order by opportunity_id",
    ) == [("o1", "Closed Won"), ("o3", "Closed Won")]


def test_published_bi_database_holds_no_restricted_column(home):
    # CONTRACTS.md: names, emails, termination reasons and salaries never reach BI.
    restricted = {"full_name", "work_email", "termination_reason", "base_salary", "ote"}
    columns = published(
        home,
        "select table_name, column_name from information_schema.columns "
        "where table_catalog = 'bi'",
    )
    assert {t for t, _ in columns} >= {"dim_rep", "fct_opportunities"}
    leaked = [(t, c) for t, c in columns if c in restricted | {"user_name", "email"}]
    assert leaked == []
