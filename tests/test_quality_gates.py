"""The bad-input and fault matrix of the quality-gates issue.

Every case starts from a published build of the hand-written landing (tests/fixtures/handmade),
changes the landing the way the case describes, builds again and asserts the outcome: the exit
status, a message that names the file or the check, and - where the case must block
publishing - a published layer byte-identical to before.
"""

import contextlib
import hashlib
import io
from datetime import date
from decimal import Decimal
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from conftest import FIXTURES, build, copy_landing, published, write_csv

PROJECT = Path(__file__).resolve().parent.parent
OPP_HEADER = (
    "Id,AccountId,OwnerId,Name,Type,LeadSource,StageName,Amount,CurrencyIsoCode,Probability,"
    "ForecastCategoryName,IsClosed,IsWon,CloseDate,CreatedDate,SystemModstamp,IsDeleted"
)


@pytest.fixture(scope="module")
def baseline(handmade_baseline) -> Path:
    """A home with a publication of the hand-written landing, and that landing beside it."""
    return handmade_baseline


@pytest.fixture
def case(baseline, tmp_path) -> Path:
    """A private copy of the baseline (landing and home) for one case."""
    shutil.copytree(baseline, tmp_path / "case", symlinks=True)
    return tmp_path / "case"


def snapshot(home: Path) -> dict[str, str]:
    """What BI sees: the publication the symlink points at and the bytes of every file in it."""
    link = home / "published"
    files = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(link.iterdir())}
    return {"target": os.readlink(link), **files}


def mart_rows(home: Path) -> dict[str, list[tuple]]:
    tables = [t for (t,) in published(home, "select table_name from information_schema.tables")]
    return {t: sorted(published(home, f"select * from marts.{t}"), key=repr) for t in tables}


def add_day(landing: Path, source: str, day: str, table: str, text: str) -> Path:
    path = landing / source / day / f"{table}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def opportunity_rows(*rows: str) -> str:
    return OPP_HEADER + "\n" + "\n".join(rows) + "\n"


def baseline_copy(baseline: Path, tmp_path_factory, name: str) -> Path:
    """A private copy (landing and home) of the baseline for a module's shared build."""
    root = tmp_path_factory.mktemp(name) / "case"
    shutil.copytree(baseline, root, symlinks=True)
    return root


def captured_build(root: Path) -> tuple[int, str]:
    """Build root/landing into root/home outside a test (capsys is per test): exit status and
    everything the build printed."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        code = build(root / "landing", root / "home")
    return code, out.getvalue()


def assert_blocked(case: Path, before: dict, capsys, *needles: str) -> str:
    assert build(case / "landing", case / "home") == 1
    out = capsys.readouterr()
    text = out.out + out.err
    for needle in needles:
        assert needle in text, f"{needle!r} not in the build output"
    assert snapshot(case / "home") == before
    return text


# --- dbt tests of severity error block publishing -------------------------------------------


def test_same_key_and_modstamp_with_different_content_blocks(case, capsys):
    before = snapshot(case / "home")
    # o1 again on a new day, 2025-03-03, with the same SystemModstamp as on 2025-03-01 but
    # another amount. (A new day: writing 2025-03-02's opportunity file would re-deliver that
    # day with fewer rows, which the shrunk-redelivery gate holds before dbt runs.)
    add_day(case / "landing", "crm", "2025-03-03", "opportunity", opportunity_rows(
        "o1,a1,u_ae1,Acme expansion,New Business,Web,Closed Won,9999.00,USD,100,Closed,true,true,"
        "2025-02-20,2025-01-10T15:30:00Z,2025-02-20T10:00:00Z,false",
    ))
    text = assert_blocked(case, before, capsys, "raw/crm", "source_no_conflicting_versions_crm_opportunity")
    # The sample failing row names the key and both files.
    assert '"id": "o1"' in text
    assert "crm/2025-03-01/opportunity.csv" in text and "crm/2025-03-03/opportunity.csv" in text


# The checks below warn and publish. They do not touch one another's rows, so one build plants
# the cases of both (orphan keys and an empty amount; a close date before the created date) and
# each test reads its own. (Stale feeds need a later as-of day, which grows the weekly pipeline
# snapshot past the volume gate with these deals open: a build of their own.)
@pytest.fixture(scope="module")
def warned(baseline, tmp_path_factory) -> dict:
    root = baseline_copy(baseline, tmp_path_factory, "warned")
    landing = root / "landing"
    add_day(landing, "crm", "2025-03-03", "opportunity", opportunity_rows(
        "o4,a_ghost,u_ghost,Orphan,New Business,Web,Prospecting,500.00,USD,10,Pipeline,false,"
        "false,2025-05-01 00:00:00,2025-03-03T09:00:00Z,2025-03-03T09:00:00Z,false",
        "o5,a1,u_ae1,No amount,New Business,Web,Closed Won,,USD,100,Closed,true,true,"
        "2025-03-03T00:00:00Z,2025-03-03T09:00:00Z,2025-03-03T10:00:00Z,false",
        "o6,a1,u_ae1,Backdated,New Business,Web,Prospecting,10.00,USD,10,Pipeline,false,false,"
        "2025-02-01,2025-03-02T09:00:00Z,2025-03-02T09:00:00Z,false",
    ))
    add_day(landing, "crm", "2025-03-03", "opportunity_split",
            "id,opportunity_id,split_owner_id,split_percentage\ns2,o1,u_nobody,40\n")
    add_day(landing, "crm", "2025-03-03", "opportunity_history",
            "id,opportunity_id,created_date,stage_name\nh99,o_ghost,2025-03-03T09:00:00Z,Prospecting\n")
    add_day(landing, "crm", "2025-03-03", "task",
            "id,owner_id,type,activity_date,created_date\nt9,u_ghost,,2025-03-03,2025-03-03T09:00:00Z\n")
    code, text = captured_build(root)
    return {"code": code, "text": text, "home": root / "home"}


def test_orphan_keys_and_empty_amounts_warn_with_each_row_and_publish(warned):
    """Every foreign key a mart joins on is checked, as a warning that names each row by its
    key, landing file and line; valid Salesforce values (midnight dates, an empty amount)
    load; the build publishes."""
    assert warned["code"] == 0
    text = warned["text"]
    warnings = text[text.index("Warnings ("):]
    file = "crm/2025-03-03/{}.csv"
    for check, row in [
        ("relationships_stg_crm__opportunities_account_id",
         {"opportunity_id": "o4", "account_id": "a_ghost", "source_file": file.format("opportunity"), "source_line": 2}),
        ("relationships_stg_crm__opportunities_owner_id",
         {"opportunity_id": "o4", "owner_id": "u_ghost", "source_file": file.format("opportunity"), "source_line": 2}),
        ("relationships_stg_crm__opportunity_splits_split_owner_id",
         {"opportunity_split_id": "s2", "split_owner_id": "u_nobody", "source_file": file.format("opportunity_split"), "source_line": 2}),
        ("relationships_stg_crm__opportunity_history_opportunity_id",
         {"opportunity_history_id": "h99", "opportunity_id": "o_ghost", "source_file": file.format("opportunity_history"), "source_line": 2}),
        ("relationships_stg_crm__tasks_owner_id",
         {"task_id": "t9", "owner_id": "u_ghost", "source_file": file.format("task"), "source_line": 2}),
        ("stg_crm__opportunities_won_deal_has_an_amount",
         {"opportunity_id": "o5", "source_file": file.format("opportunity"), "source_line": 3}),
    ]:
        block = warnings[warnings.index(check):].split("\n  WARN ")[0]
        assert "1 failing row(s)" in block, check
        sample = json.loads(block.splitlines()[2])
        assert {k: sample.get(k) for k in row} == row, check
    rows = published(
        warned["home"],
        "select opportunity_id, account_id, amount, close_date::varchar, is_won "
        "from marts.fct_opportunities where opportunity_id in ('o4', 'o5') order by 1",
    )
    assert rows == [
        ("o4", "a_ghost", Decimal("500.00"), "2025-05-01", False),  # a midnight close date
        ("o5", "a1", None, "2025-03-03", True),  # no amount: kept, null
    ]


# The blocking checks below are on staging models that do not feed one another, so one build
# plants all six defects (each on its own rows) and every test reads its own failed check, with
# its sample rows, from that build's summary: dbt runs every test of a model, and a failed test
# skips only what is downstream of its model.
@pytest.fixture(scope="module")
def blocked(baseline, tmp_path_factory) -> dict:
    root = baseline_copy(baseline, tmp_path_factory, "blocked")
    before = snapshot(root / "home")
    landing = root / "landing"
    # Splits of o1: 60 on 2025-03-01, plus 30 now.
    add_day(landing, "crm", "2025-03-02", "opportunity_split",
            "id,opportunity_id,split_owner_id,split_percentage\ns2,o1,u_ae2,30\n")
    add_day(landing, "crm", "2025-03-03", "opportunity", opportunity_rows(
        "o4,a1,u_ae1,Credit note,New Business,Web,Prospecting,-50.00,USD,10,Pipeline,false,false,"
        "2025-05-01,2025-03-02T09:00:00Z,2025-03-02T09:00:00Z,false",
        "o5,a1,u_ae1,Yen deal,New Business,Web,Prospecting,1000.00,JPY,10,Pipeline,false,false,"
        "2025-05-01,2025-03-02T09:00:00Z,2025-03-02T09:00:00Z,false",
        "o6,a1,u_ae1,Odd stage,New Business,Web,Discovery Call,10.00,USD,10,Pipeline,false,false,"
        "2025-05-01,2025-03-02T09:00:00Z,2025-03-02T09:00:00Z,false",
    ))
    add_day(landing, "comp", "2025-03-02", "quota",
            "employee_id,period_start,period_type,quota_amount,currency\n"
            "E_UNKNOWN,2025-01-01,quarter,10000.00,USD\n")
    add_day(landing, "hr", "2025-03-02", "employee",
            "employee_id,crm_user_id,full_name,work_email,hire_date,termination_date,updated_at\n"
            "E_AE1,u_ae1,Alex Seller,alex@example.com,2024-01-08,2023-12-31,2025-03-02T09:00:00Z\n")
    code, text = captured_build(root)
    return {"code": code, "text": text, "before": before, "after": snapshot(root / "home")}


def failed_check(blocked: dict, check: str) -> str:
    """The build blocked, published nothing new, and listed `check` as failed: its lines."""
    assert blocked["code"] == 1
    assert blocked["after"] == blocked["before"]
    text = blocked["text"]
    failed = text[text.index("Failed checks ("):]
    return failed[failed.index(check):].split("\n  ERROR ")[0]


def test_splits_not_adding_to_100_block(blocked):
    assert '"total_split_percentage": "90' in failed_check(blocked, "splits_add_to_100")  # 60 + 30


def test_negative_amount_blocks(blocked):
    assert '"amount": "-50' in failed_check(blocked, "stg_crm__opportunities_amount_not_negative")


def test_unknown_currency_without_fx_rate_blocks(blocked):
    block = failed_check(blocked, "not_null_stg_crm__opportunities_amount")
    assert '"opportunity_id": "o5"' in block and '"currency": "JPY"' in block


def test_stage_not_in_stage_map_blocks(blocked):
    block = failed_check(blocked, "relationships_stg_crm__opportunities_stage_name")
    assert '"stage_name": "Discovery Call"' in block


def test_quota_for_employee_not_in_hr_blocks(blocked):
    assert '"employee_id": "E_UNKNOWN"' in failed_check(blocked, "relationships_stg_comp__quotas_employee_id")


def test_termination_before_hire_blocks(blocked):
    assert '"employee_id": "E_AE1"' in failed_check(blocked, "stg_hr__employees_termination_not_before_hire")


def test_close_date_before_created_date_is_reported_and_does_not_block(warned):
    assert warned["code"] == 0
    assert "WARN staging/stg_crm__opportunities: stg_crm__opportunities_close_date_not_before_created_date" in warned["text"]
    ids = published(warned["home"], "select opportunity_id from marts.fct_opportunities order by 1")
    assert ("o6",) in ids


# --- ingestion and freshness -----------------------------------------------------------------


def test_renamed_column_fails_naming_the_file_and_column(case, capsys):
    before = snapshot(case / "home")
    path = add_day(case / "landing", "crm", "2025-03-02", "opportunity",
                   opportunity_rows("o4,a1,u_ae1,X,New Business,Web,Prospecting,10.00,USD,10,"
                                    "Pipeline,false,false,2025-05-01,2025-03-02T09:00:00Z,"
                                    "2025-03-02T09:00:00Z,false").replace("StageName", "Stage"))
    assert_blocked(case, before, capsys, str(path), "missing required column(s) stage_name")


def test_empty_source_day_changes_nothing(case, capsys):
    before = mart_rows(case / "home")
    (case / "landing/crm/2025-03-02").mkdir(exist_ok=True)
    (case / "landing/hr/2025-03-02").mkdir()  # an empty day folder
    (case / "landing/hr/2025-03-02/employee.csv").write_text("")  # and an empty file
    assert build(case / "landing", case / "home") == 0
    assert mart_rows(case / "home") == before


def test_change_only_hr_and_comp_feeds_warn_as_stale_and_publish(case, capsys):
    # HR and comp land only when something changes: nothing since 2025-03-01 while CRM moves
    # on to 2025-05-01. 2025-03-01 -> 2025-05-01 is 30 + 31 = 61 days, past HR's 31-day and
    # comp's 35-day windows: a warning by default, recorded in the publication.
    add_day(case / "landing", "crm", "2025-05-01", "task",
            "id,owner_id,type,activity_date,created_date\nt9,u_ae1,Call,2025-05-01,2025-05-01\n")
    assert build(case / "landing", case / "home") == 0
    text = capsys.readouterr().out
    assert ("hr: latest landing day 2025-03-01, 61 day(s) behind the as-of day 2025-05-01 "
            "(allowed 31): STALE (warn)") in text
    assert "WARN raw/hr: freshness\n      hr is stale: latest landing day 2025-03-01" in text
    sources = json.loads((case / "home/published/publication.json").read_text())["sources"]
    assert sources["hr"]["freshness"] == {
        "latest_landing_day": "2025-03-01", "as_of": "2025-05-01", "lag_days": 61,
        "freshness_days": 31, "severity": "warn", "status": "stale",
    }
    assert sources["comp"]["freshness"]["status"] == "stale"
    assert sources["crm"]["freshness"]["status"] == "fresh"


def test_a_source_configured_to_block_fails_freshness_with_error_severity(monkeypatch):
    from orchestration.ingest import checks, contracts
    from orchestration.ingest.contracts import Freshness

    monkeypatch.setattr(contracts, "freshness", lambda source: Freshness(7, "error"))
    stale = checks.freshness_result("hr", date(2025, 3, 1), date(2025, 3, 12))  # 11 > 7
    assert (stale.passed, stale.severity.value) == (False, "ERROR")
    assert stale.description == "hr is stale: latest landing day 2025-03-01, as of 2025-03-12, allowed lag 7 day(s)"
    fresh = checks.freshness_result("hr", date(2025, 3, 5), date(2025, 3, 12))  # 7 = 7
    assert fresh.passed


def test_every_problem_of_a_landing_day_is_reported_in_one_build(case, capsys):
    """Three CRM files missing required columns and an HR file most of whose rows break the
    contract: one build names all four, each with what is wrong, and publishes nothing; a
    second build of the same landing folder is blocked the same way."""
    before = snapshot(case / "home")
    crm = case / "landing/crm/2025-03-03"
    write_csv(crm / "account.csv", ["Id", "Name", "Industry"], [["a9", "Ninth", "Retail"]])
    write_csv(crm / "opportunity.csv", OPP_HEADER.replace(",SystemModstamp", "").split(","), [])
    write_csv(crm / "opportunity_history.csv", ["id", "opportunity_id", "stage_name"], [["h9", "o1", "Prospecting"]])
    hr = case / "landing/hr/2025-03-03/employee.csv"
    write_csv(hr, ["employee_id", "full_name", "work_email", "hire_date"], [
        ["E9", "Nina New", "nina@example.com", "03/03/2025"],
        ["E10", "Omar Other", "omar@example.com", "2025-03-03 09:30:00"],
        ["E11", "Pia Plain", "pia@example.com", "2025-03-03"],
    ])
    for attempt in (1, 2):
        text = assert_blocked(case, before, capsys, "ERROR raw/crm: files_within_contract",
                              "ERROR raw/hr: files_within_contract")
        assert f"{crm}/account.csv: missing required column(s) owner_id, created_date, system_modstamp, is_deleted" in text
        assert f"{crm}/opportunity.csv: missing required column(s) system_modstamp" in text
        assert f"{crm}/opportunity_history.csv: missing required column(s) created_date" in text
        # 2 of 3 rows have a hire_date that is no date: 67% > 50%.
        assert (f"{hr}: broken file: 2 of 3 rows rejected (67%), more than the hr.employee "
                "threshold of 50%; commonest reason: column hire_date is not a valid date (2 rows)") in text
        # The contract's required columns are named, not the file's whole header.
        assert "contract requires id, name, owner_id, created_date, system_modstamp, is_deleted (the file has 3 column(s))" in text
    con = duckdb.connect(str(case / "home/warehouse.duckdb"), read_only=True)
    try:
        statuses = con.execute(
            "select source_file, rows_in, rows_loaded, rows_rejected, status from raw._load_ledger "
            "where batch_date = '2025-03-03' order by source_file"
        ).fetchall()
    finally:
        con.close()
    assert statuses == [
        ("crm/2025-03-03/account.csv", 1, 0, 1, "failed"),
        ("crm/2025-03-03/opportunity.csv", 0, 0, 0, "failed"),
        ("crm/2025-03-03/opportunity_history.csv", 1, 0, 1, "failed"),
        ("hr/2025-03-03/employee.csv", 3, 1, 2, "broken"),
    ]


def test_a_file_whose_every_row_is_rejected_blocks_the_first_build(tmp_path, capsys):
    landing = copy_landing("handmade", tmp_path / "landing")
    path = landing / "crm/2025-03-02/opportunity.csv"
    # Both rows of the file carry a close date in a format the contract does not accept.
    path.write_text(opportunity_rows(
        "o3,a1,u_ae1,Acme platform,New Business,Web,Closed Won,2100.00,,100,Closed,true,true,"
        "02.03.2025,2025-02-01T12:00:00Z,2025-03-02T15:00:00Z,false",
        "o2,a1,u_ae2,Globex,New Business,Web,Closed Lost,500.00,EUR,0,Omitted,true,false,"
        "25.02.2025,2025-01-20T12:00:00Z,2025-03-02T11:00:00Z,true",
    ))
    assert build(landing, tmp_path / "home") == 1
    text = capsys.readouterr().out
    assert (f"{path}: broken file: 2 of 2 rows rejected (100%), more than the crm.opportunity "
            "threshold of 50%; commonest reason: column close_date is not a valid date (2 rows)") in text
    assert "nothing new was published" in text
    assert not (tmp_path / "home/published").exists()


def test_a_landing_day_removed_from_the_folder_keeps_its_rows_and_warns(case, capsys):
    # crm/2025-03-02 won o3 (2100) and deleted o2. Cleaning that folder up must not revert o3
    # to open, bring o2 back, or take o3's commission lines away.
    before = mart_rows(case / "home")
    shutil.rmtree(case / "landing/crm/2025-03-02")
    assert build(case / "landing", case / "home") == 0
    text = capsys.readouterr().out
    assert mart_rows(case / "home") == before
    day = str(case / "landing/crm/2025-03-02")
    warnings = text[text.index("Warnings ("):]
    assert "WARN raw/crm: nothing_skipped" in warnings
    assert (f"{day}: a loaded day no longer in the landing folder; its rows are kept (drop them "
            "with `salesops forget --source crm --day 2025-03-02`)") in warnings
    manifest = json.loads((case / "home/published/publication.json").read_text())
    assert manifest["as_of"] == "2025-03-02"
    assert [s["path"] for s in manifest["skipped"]] == [day]


def test_a_shrunk_redelivery_of_a_day_blocks_naming_day_table_and_counts(case, capsys):
    before = snapshot(case / "home")
    # The first day's opportunity extract again, cut from 5 rows to 2 (o2 and the rehired
    # rep's o21 and o22 gone): 60% fewer.
    path = case / "landing/crm/2025-03-01/opportunity.csv"
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    gone = ("o2,", "o21,", "o22,")
    path.write_text("\n".join(line for line in lines if not line.startswith(gone)) + "\n")
    assert_blocked(case, before, capsys, "ERROR raw/crm: files_within_contract",
                   "crm/2025-03-01: re-delivered crm.opportunity has 2 rows (2 keys), 5 rows "
                   "(5 keys) before: 60% fewer, more than the allowed 20%")


def test_compressed_csv_loads_and_unloadable_names_are_warnings(case, capsys):
    import gzip

    landing = case / "landing"
    text = opportunity_rows(
        "o4,a1,u_ae1,Zipped,New Business,Web,Prospecting,10.00,USD,10,Pipeline,false,false,"
        "2025-05-01,2025-03-03T09:00:00Z,2025-03-03T09:00:00Z,false",
    )
    (landing / "crm/2025-03-03").mkdir()
    (landing / "crm/2025-03-03/opportunity.csv.gz").write_bytes(gzip.compress(text.encode()))
    copy = add_day(landing, "crm", "2025-03-03", "opportunity (1)", text.replace("o4,", "o5,"))
    bad_day = landing / "crm/2025-13-45"
    bad_day.mkdir()
    assert build(landing, case / "home") == 0
    out = capsys.readouterr().out
    ids = published(case / "home", "select opportunity_id from marts.fct_opportunities order by 1")
    assert ids == [("o1",), ("o21",), ("o22",), ("o3",), ("o4",)]
    warnings = out[out.index("Warnings ("):]
    assert f"{bad_day}: not a YYYY-MM-DD day folder; not loaded" in warnings
    assert f"{copy}: table 'opportunity (1)' is not in the crm contract" in warnings
    manifest = json.loads((case / "home/published/publication.json").read_text())
    assert sorted(s["path"] for s in manifest["skipped"]) == sorted([str(bad_day), str(copy)])


def test_row_count_collapse_blocks(case, capsys):
    before = snapshot(case / "home")
    # A day that deletes every opportunity: fct_opportunities falls from 4 rows to 0.
    add_day(case / "landing", "crm", "2025-03-03", "opportunity", opportunity_rows(
        "o1,a1,u_ae1,Acme expansion,New Business,Web,Closed Won,1000.00,USD,100,Closed,true,true,"
        "2025-02-20,2025-01-10T15:30:00Z,2025-03-03T09:00:00Z,true",
        "o3,a1,u_ae1,Acme platform,New Business,Web,Closed Won,2100.00,,100,Closed,true,true,"
        "2025-03-02,2025-02-01T12:00:00Z,2025-03-03T09:00:00Z,true",
        "o21,a2,u_ae3,Globex pilot,New Business,Web,Closed Won,2000.00,USD,100,Closed,true,true,"
        "2024-08-15,2024-06-03T09:00:00Z,2025-03-03T09:00:00Z,true",
        "o22,a1,u_ae3,Acme add-on,New Business,Partner,Closed Won,3000.00,USD,100,Closed,true,true,"
        "2025-02-14,2025-01-13T09:00:00Z,2025-03-03T09:00:00Z,true",
    ))
    assert_blocked(case, before, capsys, "marts/fct_opportunities: gx_suite",
                   "expect_table_row_count_to_be_between")


def test_rerun_of_the_same_day_publishes_identical_marts(case):
    before = mart_rows(case / "home")
    manifest = json.loads((case / "home/published/publication.json").read_text())
    assert build(case / "landing", case / "home") == 0
    after = json.loads((case / "home/published/publication.json").read_text())
    assert mart_rows(case / "home") == before
    assert after["run_id"] != manifest["run_id"]
    assert {k: v["rows"] for k, v in after["marts"].items()} == {
        k: v["rows"] for k, v in manifest["marts"].items()
    }


# --- faults ----------------------------------------------------------------------------------


def _salesops(case: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [str(Path(sys.executable).with_name("salesops")), "build",
         "--landing", str(case / "landing"), "--home", str(case / "home")],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
        cwd=PROJECT,
    )


def _dbt_log_shows(home: Path, text: str, timeout: float = 180) -> None:
    """Wait until the running build's dbt log (HOME/logs/dbt-<run>.log) shows `text`: dbt's
    own progress, so the kill lands inside the phase it names on a fast or a slow machine."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        logs = sorted((home / "logs").glob("dbt-*.log"), key=lambda p: p.stat().st_mtime)
        if logs and text in logs[-1].read_text():
            return
        time.sleep(0.05)
    pytest.fail(f"dbt never logged {text!r}")


@pytest.mark.parametrize(
    ("moment", "trigger", "dbt_line"),
    [
        ("ingest", "start  raw__crm", None),
        # dbt is writing the marts: the first mart model has started.
        ("dbt", "start  dbt_models", "START sql table model marts."),
        ("publish", "start  published__marts", None),
    ],
)
def test_sigkill_at_any_moment_leaves_publication_intact_and_next_build_succeeds(
    case, moment, trigger, dbt_line
):
    add_day(case / "landing", "crm", "2025-03-02", "task",
            "id,owner_id,type,activity_date,created_date\nt9,u_ae1,Call,2025-03-02,2025-03-02\n")
    before = snapshot(case / "home")
    process = _salesops(case)
    seen = []
    for line in process.stdout:  # the build's own progress lines
        seen.append(line)
        if line.startswith(trigger):
            break
    else:
        pytest.fail(f"the build ended before {moment}: {''.join(seen[-20:])}")
    if dbt_line:
        _dbt_log_shows(case / "home", dbt_line)
    os.killpg(process.pid, signal.SIGKILL)  # the build and its dbt child, as kill -9 would
    process.wait()
    assert process.returncode == -signal.SIGKILL
    assert snapshot(case / "home") == before
    # The next build needs no clean-up and publishes the new day.
    assert build(case / "landing", case / "home") == 0
    assert snapshot(case / "home")["target"] != before["target"]
    assert published(case / "home", "select count(*) from marts.fct_activities where calls > 0 "
                     "and week_start = date '2025-02-24'") == [(1,)]


def test_reader_holding_bi_duckdb_open_never_blocks_a_build(case):
    reader = duckdb.connect(str(case / "home/published/bi.duckdb"), read_only=True)
    try:
        old = reader.execute("select count(*) from marts.fct_opportunities").fetchall()
        # A new day (not 2025-03-02, whose opportunity file would be replaced) with one deal.
        add_day(case / "landing", "crm", "2025-03-03", "opportunity", opportunity_rows(
            "o4,a1,u_ae1,New one,New Business,Web,Prospecting,10.00,USD,10,Pipeline,false,false,"
            "2025-05-01,2025-03-02T09:00:00Z,2025-03-02T09:00:00Z,false",
        ))
        assert build(case / "landing", case / "home") == 0
        # The held connection keeps its snapshot; a new connection sees the new publication.
        assert reader.execute("select count(*) from marts.fct_opportunities").fetchall() == old
    finally:
        reader.close()
    assert published(case / "home", "select count(*) from marts.fct_opportunities") == [(old[0][0] + 1,)]


def test_published_file_opens_with_duckdb_1_4(baseline):
    compat = PROJECT / ".venv/compat/duckdb-1.4"
    code = (
        f"import sys; sys.path.insert(0, {str(compat)!r}); import duckdb; "
        "assert duckdb.__version__.startswith('1.4'), duckdb.__version__; "
        f"c = duckdb.connect({str(baseline / 'home/published/bi.duckdb')!r}, read_only=True); "
        "print(c.execute('select count(*) from marts.fct_opportunities').fetchall()[0][0])"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    # o1 and o3, and the rehired rep's o21 and o22 (tests/fixtures/handmade/README.md)
    assert result.stdout.strip() == "4"


def test_no_restricted_column_reaches_bi(baseline):
    from orchestration.transform.project import dbt_manifest

    restricted = {
        (node["name"], column)
        for node in dbt_manifest()["nodes"].values()
        if node["resource_type"] == "model"
        for column, spec in node.get("columns", {}).items()
        if spec.get("meta", {}).get("restricted") or spec.get("config", {}).get("meta", {}).get("restricted")
    }
    restricted_names = {c for _, c in restricted}
    # The manifest must know the restricted columns CONTRACTS.md names, or the scan is empty.
    assert {"full_name", "work_email", "termination_reason"} <= restricted_names
    columns = published(baseline / "home", "select table_name, column_name from information_schema.columns")
    assert [c for c in columns if c[1] in restricted_names] == []
    restricted_marts = [
        node["name"] for node in dbt_manifest()["nodes"].values()
        if node["resource_type"] == "model" and node["config"].get("meta", {}).get("restricted")
        and node["config"].get("schema") == "marts"
    ]
    assert not {t for t, _ in columns} & set(restricted_marts)
