"""Commission statements (orchestration/statements.py): which plan periods a month's statement
covers, what the CSV and HTML say, the `salesops statements` command and the Dagster asset.

The published restricted database is written by hand here, with the marts' contracted
columns read from the dbt manifest, so these tests need no build.
"""

from __future__ import annotations

import csv
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from orchestration.statements import (
    StatementError,
    commission_statements,
    parse_month,
    read_statements,
    write_statements,
)

MARTS = ("fct_commissions", "fct_commission_reconciliation", "fct_commission_tiers",
         "fct_commission_changes_after_close")


def _columns(manifest_path: Path, mart: str) -> dict[str, str]:
    manifest = json.loads(manifest_path.read_text())
    node = next(n for n in manifest["nodes"].values() if n["resource_type"] == "model" and n["name"] == mart)
    return {name: column["data_type"] for name, column in node["columns"].items()}


def _line(**values) -> dict:
    base = {"period_type": "quarter", "period_start": date(2025, 1, 1), "period_end": date(2025, 3, 31),
            "plan_id": "P_AE", "line_status": "closed", "closes_on": date(2025, 3, 31),
            "data_known_on": date(2025, 3, 31), "recorded_as_of": date(2025, 3, 31),
            "currency": "USD", "fx_rate": 1.0, "is_tier_crossing": False, "is_late_booking": False,
            "crm_source_file": "crm/2025-03-01/opportunity.csv"}
    return base | values


# Hand-made ledger. E1 is on a quarterly plan: Q1 2025 closed; deal o1 (credit 12000 of quota
# 10000: 10000 x 10% + 2000 x 15% = 1300.00, crosses into the accelerator) and o2 (credit 1000,
# 150.00 at 15%) plus SPIF 100.00 on o1; computed 1550.00, paid 1500.00 (one payout) -> variance
# -50.00, underpaid, wrong_rate. S1 is on a monthly plan: February (10.00 on o3) and March (20.00
# on o4, provisional). A statement for 2025-02 holds E1's Q1 and S1's February; one for 2025-03
# holds E1's Q1 and S1's March, not February.
LINES = [
    _line(employee_id="E1", opportunity_id="o1", line_type="commission", close_date=date(2025, 2, 10),
          credit_date=date(2025, 2, 10), opportunity_type="New Business", amount_local=Decimal("12000"),
          opportunity_amount=Decimal("12000"), split_percentage=100.0, credited_amount=Decimal("12000"),
          attainment_before=0.0, attainment_after=1.2, tier_from=0.0, tier_to=1.5, rate=1300 / 12000,
          is_tier_crossing=True, amount=Decimal("1300.00"), crm_source_line=2),
    _line(employee_id="E1", opportunity_id="o1", line_type="spif", close_date=date(2025, 2, 10),
          credit_date=date(2025, 2, 10), spif_ids="SP1", amount=Decimal("100.00"), crm_source_line=2),
    _line(employee_id="E1", opportunity_id="o2", line_type="commission", close_date=date(2025, 3, 5),
          credit_date=date(2025, 3, 5), credited_amount=Decimal("1000"), tier_from=1.0, tier_to=1.5,
          rate=0.15, amount=Decimal("150.00"), crm_source_line=3),
    _line(employee_id="S1", period_type="month", period_start=date(2025, 2, 1), period_end=date(2025, 2, 28),
          plan_id="P_SDR", closes_on=date(2025, 2, 28), opportunity_id="o3", line_type="commission",
          close_date=date(2025, 2, 3), credit_date=date(2025, 2, 3), credited_amount=Decimal("100"),
          amount=Decimal("10.00"), crm_source_line=4),
    _line(employee_id="S1", period_type="month", period_start=date(2025, 3, 1), period_end=date(2025, 3, 31),
          plan_id="P_SDR", line_status="provisional", recorded_as_of=None, opportunity_id="o4<script>",
          line_type="commission", close_date=date(2025, 3, 3), credit_date=date(2025, 3, 3),
          credited_amount=Decimal("200"), amount=Decimal("20.00"), crm_source_line=5),
]
RECONCILIATION = [
    {"employee_id": "E1", "period_start": date(2025, 1, 1), "period_type": "quarter",
     "period_end": date(2025, 3, 31), "closes_on": date(2025, 3, 31), "is_period_closed": True,
     "plan_id": "P_AE", "quota_amount": Decimal("10000"), "credited_bookings": Decimal("13000"),
     "attainment": 1.3, "deals": 2, "commission_amount": Decimal("1450.00"), "spif_amount": Decimal("100.00"),
     "cap_adjustment_amount": Decimal("0"), "clawback_amount": Decimal("0"), "computed_amount": Decimal("1550.00"),
     "payout_count": 1, "payout_currency": "USD", "paid_amount_local": Decimal("1500.00"),
     "last_paid_date": date(2025, 4, 15), "paid_amount": Decimal("1500.00"), "variance": Decimal("-50.00"),
     "status": "underpaid", "reason": "wrong_rate", "changed_after_close_deals": 0},
    {"employee_id": "S1", "period_start": date(2025, 2, 1), "period_type": "month",
     "period_end": date(2025, 2, 28), "closes_on": date(2025, 2, 28), "is_period_closed": True,
     "plan_id": "P_SDR", "quota_amount": Decimal("1000"), "credited_bookings": Decimal("100"),
     "attainment": 0.1, "deals": 1, "commission_amount": Decimal("10.00"), "spif_amount": Decimal("0"),
     "cap_adjustment_amount": Decimal("0"), "clawback_amount": Decimal("0"), "computed_amount": Decimal("10.00"),
     "payout_count": 1, "payout_currency": "USD", "paid_amount_local": Decimal("10.00"),
     "last_paid_date": date(2025, 3, 15), "paid_amount": Decimal("10.00"), "variance": Decimal("0"),
     "status": "matched", "reason": None, "changed_after_close_deals": 0},
]
TIERS = [
    {"employee_id": "E1", "period_start": date(2025, 1, 1), "opportunity_id": "o1", "tier_from": 0.0,
     "tier_to": 1.0, "rate": 0.10, "credited_in_tier": Decimal("10000"), "amount": Decimal("1000.00"),
     "band_floor_amount": Decimal("0"), "band_ceiling_amount": Decimal("10000")},
    {"employee_id": "E1", "period_start": date(2025, 1, 1), "opportunity_id": "o1", "tier_from": 1.0,
     "tier_to": 1.5, "rate": 0.15, "credited_in_tier": Decimal("2000"), "amount": Decimal("300.00"),
     "band_floor_amount": Decimal("10000"), "band_ceiling_amount": Decimal("15000")},
]


@pytest.fixture
def home(tmp_path, dbt_manifest) -> Path:
    """A home whose publication holds the hand-made commission marts (and no working database)."""
    published = tmp_path / "home" / "published"
    published.mkdir(parents=True)
    con = duckdb.connect(str(published / "restricted.duckdb"))
    con.execute("create schema marts")
    data = {"fct_commissions": LINES, "fct_commission_reconciliation": RECONCILIATION,
            "fct_commission_tiers": TIERS, "fct_commission_changes_after_close": []}
    for mart in MARTS:
        columns = _columns(dbt_manifest, mart)
        con.execute(f"create table marts.{mart} ({', '.join(f'{c} {t}' for c, t in columns.items())})")
        for row in data[mart]:
            names = [c for c in columns if c in row]
            con.execute(
                f"insert into marts.{mart} ({', '.join(names)}) values ({', '.join('?' for _ in names)})",
                [row[c] for c in names],
            )
    con.close()
    (published / "publication.json").write_text(json.dumps({"as_of": "2025-03-20", "run_id": "run-123"}))
    return tmp_path / "home"


def test_a_period_is_a_month_given_as_yyyy_mm():
    assert parse_month("2025-02") == date(2025, 2, 1)
    for bad in ("2025-2", "2025-13", "February", ""):
        with pytest.raises(StatementError):
            parse_month(bad)


def test_a_month_covers_the_quarterly_plan_period_holding_it_and_its_monthly_one(home):
    february = read_statements(home / "published" / "restricted.duckdb", date(2025, 2, 1))
    assert [(s.employee_id, [(p.period_type, str(p.period_start)) for p in s.periods]) for s in february] == [
        ("E1", [("quarter", "2025-01-01")]), ("S1", [("month", "2025-02-01")])]
    march = read_statements(home / "published" / "restricted.duckdb", date(2025, 3, 1))
    assert [(s.employee_id, [str(p.period_start) for p in s.periods]) for s in march] == [
        ("E1", ["2025-01-01"]), ("S1", ["2025-03-01"])]


def test_the_csv_lists_every_line_and_the_reconciliation_of_its_period(home):
    folder, count = write_statements(home, "2025-02")
    assert (folder, count) == (home / "statements" / "2025-02", 2)
    with (folder / "E1.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    lines = [r for r in rows if r["record"] == "line"]
    assert [(r["opportunity_id"], r["line_type"], r["amount"], r["crm_source_line"]) for r in lines] == [
        ("o1", "commission", "1300.00", "2"), ("o1", "spif", "100.00", "2"), ("o2", "commission", "150.00", "3")]
    summary = {r["summary_field"]: r["summary_value"] for r in rows if r["record"] == "summary"}
    # 1300 + 100 + 150 = 1550.00 computed; paid 1500.00; -50.00 underpaid, wrong rate.
    assert {k: summary[k] for k in ("lines_total", "computed_amount", "paid_amount", "variance", "status",
                                    "reason", "published_by_run")} == {
        "lines_total": "1550.00", "computed_amount": "1550.00", "paid_amount": "1500.00", "variance": "-50.00",
        "status": "underpaid", "reason": "wrong_rate", "published_by_run": "run-123"}
    with (folder / "index.csv").open() as fh:
        index = list(csv.DictReader(fh))
    assert [(r["employee_id"], r["computed_amount"], r["paid_amount"], r["status"]) for r in index] == [
        ("E1", "1550.00", "1500.00", "underpaid"), ("S1", "10.00", "10.00", "matched")]


def test_the_html_shows_the_tiers_of_a_crossing_deal_and_nothing_runs_or_loads(home):
    folder, _ = write_statements(home, "2025-03")
    page = (folder / "E1.html").read_text()
    # o1's two tier portions: 10000 at 10% = 1,000.00 and 2000 at 15% = 300.00.
    assert "Deals that cross a tier boundary" in page
    assert "1,000.00" in page and "300.00" in page and "1,550.00" in page
    assert "wrong_rate" in page and "run-123" in page
    provisional = (folder / "S1.html").read_text()
    assert "has not closed" in provisional
    for text in (page, provisional, (folder / "index.html").read_text()):
        assert "<script" not in text and "http://" not in text and "https://" not in text and "src=" not in text
    assert "o4&lt;script&gt;" in provisional


def test_writing_twice_gives_the_same_files(home):
    folder, _ = write_statements(home, "2025-02")
    first = {p.name: p.read_bytes() for p in folder.iterdir()}
    write_statements(home, "2025-02")
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == first


def test_the_command_writes_the_statements_and_fails_clearly_without_a_publication(home, tmp_path, capsys):
    from orchestration.cli import main

    assert main(["statements", "--period", "2025-03", "--home", str(home)]) == 0
    assert "2 statement(s) for 2025-03" in capsys.readouterr().out
    assert (home / "statements" / "2025-03" / "index.html").exists()
    assert main(["statements", "--period", "2025-03", "--home", str(tmp_path / "empty")]) == 2
    assert "no published restricted database" in capsys.readouterr().err
    assert main(["statements", "--period", "March", "--home", str(home)]) == 2


def test_the_dagster_asset_writes_the_month_of_the_publication(home):
    import dagster as dg

    from orchestration.resources import Warehouse

    result = dg.materialize(
        [commission_statements],
        resources={"warehouse": Warehouse(home=str(home), landing=str(home / "landing"))},
    )
    assert result.success
    # publication.json says as of 2025-03-20: the March statements.
    assert sorted(p.name for p in (home / "statements" / "2025-03").iterdir()) == [
        "E1.csv", "E1.html", "S1.csv", "S1.html", "index.csv", "index.html"]
    (materialization,) = result.get_asset_materialization_events()
    assert materialization.materialization.metadata["statements"].value == 2
