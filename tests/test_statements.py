"""Commission statements (orchestration/publish/statements/): which plan periods a month's statement
covers, what the CSV and HTML say, the `salesops statements` command and the Dagster asset.

The published restricted database is written by hand here, with the marts' contracted
columns read from the dbt manifest, so these tests need no build - except the last ones, which
read a copy of the session's build of the hand-made landing (tests/fixtures/handmade) to follow
the rep's and the plan's names from the landing files to the statements (and never to
bi.duckdb).
"""

from __future__ import annotations

import csv
import json
import re
import shutil
from datetime import date
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest

from conftest import published
from orchestration.publish.assets import commission_statements
from orchestration.publish.statements import (
    NoCommissionData,
    StatementError,
    parse_month,
    period_label,
    read_statements,
    write_statements,
)

MARTS = ("fct_commissions", "fct_commission_reconciliation", "fct_commission_tiers",
         "fct_commission_changes_after_close", "dim_commission_plan_periods")


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


class _Page(HTMLParser):
    """The text of a page's elements, tags dropped and entities decoded: every `tag` element's
    text, and every table row as a list of cell texts (a <br> reads as a space)."""

    def __init__(self, tag: str):
        super().__init__()
        self.tag, self.texts, self.rows = tag, [], []
        self._text: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == self.tag:
            self._text = []
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "br":
            self.handle_data(" ")

    def handle_endtag(self, tag):
        if tag == self.tag and self._text is not None:
            self.texts.append(" ".join("".join(self._text).split()))
            self._text = None
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data):
        for part in (self._text, self._cell):
            if part is not None:
                part.append(data)


def _texts(page: str, tag: str) -> list[str]:
    parser = _Page(tag)
    parser.feed(page)
    return parser.texts


def _table_rows(page: str) -> list[list[str]]:
    parser = _Page("table")
    parser.feed(page)
    return parser.rows


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
# The names (restricted): E1 is Eve Adams on "AE quarterly"; S1's name holds markup, which must
# reach the page as text.
S1_NAME = "Sid <i>Small</i> & Co"
NAMES = [
    {"employee_id": "E1", "period_start": date(2025, 1, 1), "period_type": "quarter",
     "period_end": date(2025, 3, 31), "plan_id": "P_AE", "plan_name": "AE quarterly", "full_name": "Eve Adams"},
    {"employee_id": "S1", "period_start": date(2025, 2, 1), "period_type": "month",
     "period_end": date(2025, 2, 28), "plan_id": "P_SDR", "plan_name": "SDR monthly", "full_name": S1_NAME},
    {"employee_id": "S1", "period_start": date(2025, 3, 1), "period_type": "month",
     "period_end": date(2025, 3, 31), "plan_id": "P_SDR", "plan_name": "SDR monthly", "full_name": S1_NAME},
]


@pytest.fixture
def home(tmp_path, dbt_manifest) -> Path:
    """A home whose publication holds the hand-made commission marts (and no working database)."""
    published = tmp_path / "home" / "published"
    published.mkdir(parents=True)
    con = duckdb.connect(str(published / "restricted.duckdb"))
    con.execute("create schema marts")
    data = {"fct_commissions": LINES, "fct_commission_reconciliation": RECONCILIATION,
            "fct_commission_tiers": TIERS, "fct_commission_changes_after_close": [],
            "dim_commission_plan_periods": NAMES}
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
        rows = list(csv.DictReader(fh))
    index = [r for r in rows if r["record"] == "rep"]
    assert [(r["employee_id"], r["computed_amount"], r["paid_amount"], r["status"]) for r in index] == [
        ("E1", "1550.00", "1500.00", "underpaid"), ("S1", "10.00", "10.00", "matched")]
    # The names and the plan period, on the statement and in the index.
    assert {k: summary[k] for k in ("employee_name", "plan_name", "period_label", "plan_periods",
                                    "requested_month", "matched_tolerance")} == {
        "employee_name": "Eve Adams", "plan_name": "AE quarterly", "period_label": "January–March 2025",
        "plan_periods": "January–March 2025", "requested_month": "2025-02", "matched_tolerance": "0.01"}
    assert [(r["employee_name"], r["plan_names"], r["matched_tolerance"]) for r in index] == [
        ("Eve Adams", "AE quarterly", "0.01"), (S1_NAME, "SDR monthly", "0.01")]
    # The totals row, plain numbers: computed 1550.00 + 10.00, paid 1500.00 + 10.00, variance -50.00 + 0.
    assert rows[-1] == {**dict.fromkeys(rows[-1], ""), "computed_amount": "1560.00", "paid_amount": "1510.00",
                        "variance": "-50.00", "record": "total"}
    assert len(rows) == 3


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
    assert (home / "statements" / "2025-03" / "E1.pdf").read_bytes().startswith(b"%PDF-")
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
    # publication.json says as of 2025-03-20: the March statements; the build writes no PDFs
    # (the statements command does), and its index links none.
    folder = home / "statements" / "2025-03"
    assert sorted(p.name for p in folder.iterdir()) == [
        "E1.csv", "E1.html", "S1.csv", "S1.html", "index.csv", "index.html"]
    assert ".pdf" not in (folder / "index.html").read_text()
    assert {row["pdf"] for row in csv.DictReader((folder / "index.csv").open())} == {""}
    (materialization,) = result.get_asset_materialization_events()
    assert materialization.materialization.metadata["statements"].value == 2


# --- titles, names, totals, tolerance, a month without data ------------------------------------

def test_a_plan_period_is_named_in_words():
    assert period_label(date(2025, 6, 1), date(2025, 6, 30)) == "June 2025"
    assert period_label(date(2025, 4, 1), date(2025, 6, 30)) == "April–June 2025"
    assert period_label(date(2025, 11, 1), date(2026, 1, 31)) == "November 2025–January 2026"


def test_a_statement_is_titled_with_its_plan_period_the_rep_and_the_plan(home):
    folder, _ = write_statements(home, "2025-02")
    # Asked for February: E1's quarterly plan period is Q1, so the title names the quarter.
    e1 = (folder / "E1.html").read_text()
    assert _texts(e1, "h1") == ["Commission statement — January–March 2025"]
    assert _texts(e1, "title") == ["Commission statement January–March 2025 - Eve Adams (E1)"]
    assert _texts(e1, "p")[0] == (
        "Eve Adams (employee E1) January–March 2025, quarterly plan AE quarterly (P_AE): 2025-01-01 to 2025-03-31")
    assert _texts(e1, "h2") == ["Plan period January–March 2025, quarterly plan AE quarterly (P_AE)"]
    # S1's monthly plan period is February itself; its name is shown as text, never as markup.
    s1 = (folder / "S1.html").read_text()
    assert _texts(s1, "h1") == ["Commission statement — February 2025"]
    assert _texts(s1, "title") == ["Commission statement February 2025 - Sid <i>Small</i> & Co (S1)"]
    assert _texts(s1, "h2") == ["Plan period February 2025, monthly plan SDR monthly (P_SDR)"]
    assert "Sid &lt;i&gt;Small&lt;/i&gt; &amp; Co" in s1 and "<i>" not in s1
    index = (folder / "index.html").read_text()
    assert _texts(index, "h1") == [
        "Commission statements — January–March 2025 (quarterly plans) and February 2025 (monthly plans)"]
    assert "<i>" not in index


def test_the_index_totals_the_reps_with_thousands_separators_in_html_only(home):
    folder, _ = write_statements(home, "2025-02")
    # computed 1550.00 + 10.00 = 1560.00, paid 1500.00 + 10.00 = 1510.00, variance -50.00 + 0.00.
    assert _table_rows((folder / "index.html").read_text()) == [
        ["Rep", "Plan periods", "Computed", "Paid", "Variance", "Status", "Reason"],
        ["Eve Adams (E1) (csv) (pdf)", "January–March 2025, quarterly plan AE quarterly (P_AE)",
         "1,550.00", "1,500.00", "-50.00", "underpaid", "wrong_rate"],
        ["Sid <i>Small</i> & Co (S1) (csv) (pdf)", "February 2025, monthly plan SDR monthly (P_SDR)",
         "10.00", "10.00", "0.00", "matched", ""],
        ["Total (2 reps)", "", "1,560.00", "1,510.00", "-50.00", "", ""],
    ]
    with (folder / "index.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["record"], r["computed_amount"], r["paid_amount"], r["variance"]) for r in rows] == [
        ("rep", "1550.00", "1500.00", "-50.00"), ("rep", "10.00", "10.00", "0.00"),
        ("total", "1560.00", "1510.00", "-50.00")]


def test_a_one_cent_variance_is_matched_and_the_statements_say_the_tolerance(home):
    # Payroll paid S1 9.99 for February against 10.00 computed: variance -0.01, and |-0.01| <= 0.01
    # is matched (METRICS.md).
    con = duckdb.connect(str(home / "published" / "restricted.duckdb"))
    con.execute("update marts.fct_commission_reconciliation set paid_amount = 9.99, paid_amount_local = 9.99, "
                "variance = -0.01 where employee_id = 'S1'")
    con.close()
    folder, _ = write_statements(home, "2025-02")
    tolerance = "a plan period is matched when |paid − computed| ≤ 0.01 in the reporting currency"
    pages = {name: (folder / name).read_text() for name in ("E1.html", "S1.html", "index.html")}
    for name, page in pages.items():
        assert any(tolerance in text for text in _texts(page, "p")), name
    within = "matched (variance -0.01 is within the 0.01 reconciliation tolerance)"
    s1 = _table_rows(pages["S1.html"])
    assert ["Status", within] in s1  # the statement's summary
    assert ["Variance (paid - computed)", "-0.01"] in s1 and ["Status", f"{within} matched when |variance| ≤ 0.01"] in s1
    index = _table_rows(pages["index.html"])
    assert index[2][2:6] == ["10.00", "9.99", "-0.01", within]
    # totals: paid 1500.00 + 9.99 = 1509.99, variance -50.00 - 0.01 = -50.01
    assert index[3] == ["Total (2 reps)", "", "1,560.00", "1,509.99", "-50.01", "", ""]
    with (folder / "index.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["employee_id"], r["variance"], r["status"], r["matched_tolerance"], r["record"]) for r in rows] == [
        ("E1", "-50.00", "underpaid", "0.01", "rep"), ("S1", "-0.01", "matched", "0.01", "rep"),
        ("", "-50.01", "", "", "total")]
    with (folder / "S1.csv").open() as fh:
        summary = {r["summary_field"]: r["summary_value"] for r in csv.DictReader(fh) if r["record"] == "summary"}
    assert (summary["variance"], summary["status"], summary["matched_tolerance"]) == ("-0.01", "matched", "0.01")


def test_a_month_without_commission_data_writes_nothing_and_fails_clearly(home, capsys):
    from orchestration.cli import main

    # The publication (as of 2025-03-20, run-123) has no plan period containing May 2025.
    message = ("no commission data for the plan periods containing 2025-05 (May 2025) in the publication "
               "as of 2025-03-20 (run run-123)")
    with pytest.raises(NoCommissionData, match=re.escape(message)):
        write_statements(home, "2025-05")
    assert main(["statements", "--period", "2025-05", "--home", str(home)]) == 2
    assert message in capsys.readouterr().err
    assert not (home / "statements").exists()
    # a folder written from an earlier publication is neither emptied nor removed, and is named
    earlier = home / "statements" / "2025-05"
    earlier.mkdir(parents=True)
    (earlier / "index.csv").write_text("earlier")
    assert main(["statements", "--period", "2025-05", "--home", str(home)]) == 2
    assert "left as it was" in capsys.readouterr().err
    assert [p.name for p in (home / "statements").iterdir()] == ["2025-05"]
    assert (earlier / "index.csv").read_text() == "earlier"


def test_the_dagster_asset_only_warns_when_the_as_of_month_has_no_commission_data(home):
    import dagster as dg

    from orchestration.resources import Warehouse

    # Every build writes its as-of month's statements: a month without commissions must not fail it.
    (home / "published" / "publication.json").write_text(json.dumps({"as_of": "2025-05-10", "run_id": "run-456"}))
    resources = {"warehouse": Warehouse(home=str(home), landing=str(home / "landing"))}
    result = dg.materialize([commission_statements], resources=resources)
    assert result.success
    (materialization,) = result.get_asset_materialization_events()
    assert materialization.materialization.metadata["statements"].value == 0
    assert not (home / "statements").exists()
    # asked for explicitly, such a month fails the run, as the command does
    result = dg.materialize([commission_statements], resources=resources, raise_on_error=False,
                            run_config={"ops": {"published__statements": {"config": {"period": "2025-05"}}}})
    assert not result.success


def test_a_publication_without_the_names_still_gives_the_statements(home):
    con = duckdb.connect(str(home / "published" / "restricted.duckdb"))
    con.execute("drop table marts.dim_commission_plan_periods")
    con.close()
    folder, count = write_statements(home, "2025-02")
    assert count == 2
    page = (folder / "E1.html").read_text()
    assert _texts(page, "h1") == ["Commission statement — January–March 2025"]
    assert _texts(page, "p")[0].startswith("(name not in this publication) (employee E1)")


# --- the names on a real build of the hand-made landing ---------------------------------------
# tests/fixtures/handmade: hr/2025-03-01/employee.csv names E_AE1 "Alex Seller" and E_AE2 "Sam
# Closer"; comp/2025-03-01/comp_plan.csv names P_AE "AE quarterly" (quarterly). As of the last
# landing day, 2025-03-02, Q1 2025 is open. Worked by hand: E_AE1 o1 1000 USD x 60% = 600 x 8% =
# 48.00 + SPIF 100.00 (owner, New Business), o3 2100 x 8% = 168.00 + SPIF 100.00 -> 416.00; E_AE2
# o1 1000 x 40% = 400 x 8% = 32.00 (not the owner: no SPIF). The rehired rep "Riley Return"
# (E_AE3 until 2024-10-31, E_AE3R since 2025-01-06, one CRM user): E_AE3R o22 3000 x 8% = 240.00 +
# SPIF 100.00 (owner, New Business) = 340.00; E_AE3 keeps a Q1 plan period (a clawback could land
# there) with nothing in it. Total 788.00; nothing paid.

@pytest.fixture(scope="module")
def handmade_home(handmade_baseline, tmp_path_factory) -> Path:
    """A copy of the session's build of the hand-made landing: these tests write statements
    into the home, and the shared build stays as every other test expects it."""
    root = tmp_path_factory.mktemp("statements-handmade") / "copy"
    shutil.copytree(handmade_baseline, root, symlinks=True)
    return root / "home"


def test_the_names_reach_the_restricted_publication_and_never_bi(handmade_home):
    con = duckdb.connect(str(handmade_home / "published" / "restricted.duckdb"), read_only=True)
    try:
        names = con.execute(
            "select employee_id, period_type, plan_id, plan_name, full_name from marts.dim_commission_plan_periods "
            "where period_start = date '2025-01-01' order by employee_id").fetchall()
    finally:
        con.close()
    assert names == [("E_AE1", "quarter", "P_AE", "AE quarterly", "Alex Seller"),
                     ("E_AE2", "quarter", "P_AE", "AE quarterly", "Sam Closer"),
                     ("E_AE3", "quarter", "P_AE", "AE quarterly", "Riley Return"),
                     ("E_AE3R", "quarter", "P_AE", "AE quarterly", "Riley Return")]
    assert published(
        handmade_home,
        "select table_name, column_name from information_schema.columns "
        "where table_name = 'dim_commission_plan_periods' or column_name in ('full_name', 'plan_name')",
    ) == []


def test_the_statements_of_a_built_quarter_name_it_and_total_it(handmade_home, capsys):
    from orchestration.cli import main

    # the build wrote its as-of month's statements (March: Q1)
    assert (handmade_home / "statements" / "2025-03" / "index.html").exists()
    assert main(["statements", "--period", "2025-02", "--home", str(handmade_home)]) == 0
    folder = handmade_home / "statements" / "2025-02"
    page = (folder / "E_AE1.html").read_text()
    assert _texts(page, "h1") == ["Commission statement — January–March 2025"]
    assert _texts(page, "title") == ["Commission statement January–March 2025 - Alex Seller (E_AE1)"]
    with (folder / "index.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["record"], r["employee_id"], r["employee_name"], r["plan_names"], r["computed_amount"],
             r["paid_amount"]) for r in rows] == [
        ("rep", "E_AE1", "Alex Seller", "AE quarterly", "416.00", "0.00"),
        ("rep", "E_AE2", "Sam Closer", "AE quarterly", "32.00", "0.00"),
        ("rep", "E_AE3R", "Riley Return", "AE quarterly", "340.00", "0.00"),
        ("total", "", "", "", "788.00", "0.00"),
    ]
    assert _table_rows((folder / "index.html").read_text())[-1] == [
        "Total (3 reps)", "", "788.00", "0.00", "0.00", "", ""]
    # Q2 has no data as of 2025-03-02
    capsys.readouterr()
    assert main(["statements", "--period", "2025-04", "--home", str(handmade_home)]) == 2
    assert ("no commission data for the plan periods containing 2025-04 (April 2025) in the publication "
            "as of 2025-03-02") in capsys.readouterr().err
    assert not (handmade_home / "statements" / "2025-04").exists()


# --- the PDF, and markup in a name ---------------------------------------------------------------

def _pdf_text(path: Path) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


def test_each_statement_is_also_a_pdf_holding_the_reps_figures(home):
    folder, _ = write_statements(home, "2025-03")
    pdf = folder / "E1.pdf"
    assert pdf.read_bytes().startswith(b"%PDF-")
    text = _pdf_text(pdf)
    # E1, Q1 2025 (worked above): o1 crosses from 10% to 15%: 10000 x 10% = 1,000.00 and
    # 2000 x 15% = 300.00; + SPIF 100.00 + o2 150.00 = 1,550.00 computed; paid 1,500.00;
    # variance -50.00, underpaid for a wrong rate.
    assert "Eve Adams" in text and "January–March 2025" in text
    for figure in ("1,000.00", "300.00", "1,550.00", "1,500.00", "-50.00", "wrong_rate", "run-123"):
        assert figure in text, figure
    # S1's March period has not closed: the PDF says so, and names S1 as text.
    s1 = _pdf_text(folder / "S1.pdf")
    assert "has not closed" in s1 and S1_NAME in s1


def test_a_name_holding_a_script_is_shown_as_text_never_run(home):
    con = duckdb.connect(str(home / "published" / "restricted.duckdb"))
    con.execute("update marts.dim_commission_plan_periods set full_name = '<script>alert(1)</script>' "
                "where employee_id = 'E1'")
    con.close()
    folder, _ = write_statements(home, "2025-02")
    for page in ("E1.html", "index.html"):
        html = (folder / page).read_text()
        assert "<script" not in html, page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, page
    assert _texts((folder / "E1.html").read_text(), "title") == [
        "Commission statement January–March 2025 - <script>alert(1)</script> (E1)"]
    assert "<script>alert(1)</script>" in _pdf_text(folder / "E1.pdf")
