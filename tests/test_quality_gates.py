"""The bad-input and fault matrix of the quality-gates issue.

Every case starts from a published build of the hand-written landing (tests/fixtures/handmade),
changes the landing the way the case describes, builds again and asserts the outcome: the exit
status, a message that names the file or the check, and - where the case must block
publishing - a published layer byte-identical to before.
"""

import hashlib
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

from conftest import FIXTURES, build, published, write_csv

PROJECT = Path(__file__).resolve().parent.parent
OPP_HEADER = (
    "Id,AccountId,OwnerId,Name,Type,LeadSource,StageName,Amount,CurrencyIsoCode,Probability,"
    "ForecastCategoryName,IsClosed,IsWon,CloseDate,CreatedDate,SystemModstamp,IsDeleted"
)


@pytest.fixture(scope="module")
def baseline(tmp_path_factory) -> Path:
    """A home with a publication of the hand-written landing, and that landing beside it."""
    root = tmp_path_factory.mktemp("baseline")
    shutil.copytree(FIXTURES / "handmade", root / "landing")
    assert build(root / "landing", root / "home") == 0
    return root


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
    # o1 again on 2025-03-02 with the same SystemModstamp as on 2025-03-01 but another amount.
    add_day(case / "landing", "crm", "2025-03-02", "opportunity", opportunity_rows(
        "o1,a1,u_ae1,Acme expansion,New Business,Web,Closed Won,9999.00,USD,100,Closed,true,true,"
        "2025-02-20,2025-01-10T15:30:00Z,2025-02-20T10:00:00Z,false",
    ))
    text = assert_blocked(case, before, capsys, "raw/crm", "source_no_conflicting_versions_crm_opportunity")
    # The sample failing row names the key and both files.
    assert '"id": "o1"' in text
    assert "crm/2025-03-01/opportunity.csv" in text and "crm/2025-03-02/opportunity.csv" in text


def test_opportunity_owner_that_is_no_user_blocks(case, capsys):
    before = snapshot(case / "home")
    add_day(case / "landing", "crm", "2025-03-02", "opportunity", opportunity_rows(
        "o4,a1,u_ghost,Ghost deal,New Business,Web,Prospecting,10.00,USD,10,Pipeline,false,false,"
        "2025-05-01,2025-03-02T09:00:00Z,2025-03-02T09:00:00Z,false",
    ))
    assert_blocked(case, before, capsys, "relationships_stg_crm__opportunities_owner_id", "u_ghost")


def test_split_owner_unknown_blocks(case, capsys):
    before = snapshot(case / "home")
    add_day(case / "landing", "crm", "2025-03-02", "opportunity_split",
            "id,opportunity_id,split_owner_id,split_percentage\ns2,o1,u_nobody,40\n")
    assert_blocked(case, before, capsys, "relationships_stg_crm__opportunity_splits_split_owner_id", "u_nobody")


def test_splits_not_adding_to_100_block(case, capsys):
    before = snapshot(case / "home")
    add_day(case / "landing", "crm", "2025-03-02", "opportunity_split",
            "id,opportunity_id,split_owner_id,split_percentage\ns2,o1,u_ae2,30\n")
    text = assert_blocked(case, before, capsys, "splits_add_to_100")
    assert '"total_split_percentage": "90' in text  # 60 + 30


def test_negative_amount_blocks(case, capsys):
    before = snapshot(case / "home")
    add_day(case / "landing", "crm", "2025-03-02", "opportunity", opportunity_rows(
        "o4,a1,u_ae1,Credit note,New Business,Web,Prospecting,-50.00,USD,10,Pipeline,false,false,"
        "2025-05-01,2025-03-02T09:00:00Z,2025-03-02T09:00:00Z,false",
    ))
    assert_blocked(case, before, capsys, "stg_crm__opportunities_amount_not_negative", "-50")


def test_unknown_currency_without_fx_rate_blocks(case, capsys):
    before = snapshot(case / "home")
    add_day(case / "landing", "crm", "2025-03-02", "opportunity", opportunity_rows(
        "o4,a1,u_ae1,Yen deal,New Business,Web,Prospecting,1000.00,JPY,10,Pipeline,false,false,"
        "2025-05-01,2025-03-02T09:00:00Z,2025-03-02T09:00:00Z,false",
    ))
    assert_blocked(case, before, capsys, "not_null_stg_crm__opportunities_amount", "JPY")


def test_stage_not_in_stage_map_blocks(case, capsys):
    before = snapshot(case / "home")
    add_day(case / "landing", "crm", "2025-03-02", "opportunity", opportunity_rows(
        "o4,a1,u_ae1,Odd stage,New Business,Web,Discovery Call,10.00,USD,10,Pipeline,false,false,"
        "2025-05-01,2025-03-02T09:00:00Z,2025-03-02T09:00:00Z,false",
    ))
    assert_blocked(case, before, capsys, "relationships_stg_crm__opportunities_stage_name", "Discovery Call")


def test_quota_for_employee_not_in_hr_blocks(case, capsys):
    before = snapshot(case / "home")
    add_day(case / "landing", "comp", "2025-03-02", "quota",
            "employee_id,period_start,period_type,quota_amount,currency\n"
            "E_UNKNOWN,2025-01-01,quarter,10000.00,USD\n")
    assert_blocked(case, before, capsys, "relationships_stg_comp__quotas_employee_id", "E_UNKNOWN")


def test_termination_before_hire_blocks(case, capsys):
    before = snapshot(case / "home")
    add_day(case / "landing", "hr", "2025-03-02", "employee",
            "employee_id,crm_user_id,full_name,work_email,hire_date,termination_date,updated_at\n"
            "E_AE1,u_ae1,Alex Seller,alex@example.com,2024-01-08,2023-12-31,2025-03-02T09:00:00Z\n")
    assert_blocked(case, before, capsys, "stg_hr__employees_termination_not_before_hire", "E_AE1")


def test_close_date_before_created_date_is_reported_and_does_not_block(case, capsys):
    add_day(case / "landing", "crm", "2025-03-02", "opportunity", opportunity_rows(
        "o4,a1,u_ae1,Backdated,New Business,Web,Prospecting,10.00,USD,10,Pipeline,false,false,"
        "2025-02-01,2025-03-02T09:00:00Z,2025-03-02T09:00:00Z,false",
    ))
    assert build(case / "landing", case / "home") == 0
    out = capsys.readouterr()
    assert "WARN staging/stg_crm__opportunities: stg_crm__opportunities_close_date_not_before_created_date" in out.out
    ids = published(case / "home", "select opportunity_id from marts.fct_opportunities order by 1")
    assert ("o4",) in ids


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


def test_stale_source_blocks(case, capsys):
    before = snapshot(case / "home")
    # CRM moves on to 2025-03-12; HR's last day stays 2025-03-01: 11 days > its 7-day window.
    add_day(case / "landing", "crm", "2025-03-12", "task",
            "id,owner_id,type,activity_date,created_date\nt9,u_ae1,Call,2025-03-12,2025-03-12\n")
    add_day(case / "landing", "comp", "2025-03-12", "fx_rate",
            "rate_date,currency,rate_to_reporting\n2025-03-12,EUR,1.08\n")
    assert_blocked(case, before, capsys, "raw/hr", "freshness", "hr is stale: latest landing day 2025-03-01")


def test_row_count_collapse_blocks(case, capsys):
    before = snapshot(case / "home")
    # A day that deletes every opportunity: fct_opportunities falls from 2 rows to 0.
    add_day(case / "landing", "crm", "2025-03-03", "opportunity", opportunity_rows(
        "o1,a1,u_ae1,Acme expansion,New Business,Web,Closed Won,1000.00,USD,100,Closed,true,true,"
        "2025-02-20,2025-01-10T15:30:00Z,2025-03-03T09:00:00Z,true",
        "o3,a1,u_ae1,Acme platform,New Business,Web,Closed Won,2100.00,,100,Closed,true,true,"
        "2025-03-02,2025-02-01T12:00:00Z,2025-03-03T09:00:00Z,true",
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


@pytest.mark.parametrize(
    ("moment", "trigger", "delay"),
    [
        ("ingest", "start  raw__crm", 0.0),
        ("dbt", "START sql table model marts.", 0.5),
        ("publish", "start  published__marts", 0.3),
    ],
)
def test_sigkill_at_any_moment_leaves_publication_intact_and_next_build_succeeds(
    case, moment, trigger, delay
):
    add_day(case / "landing", "crm", "2025-03-02", "task",
            "id,owner_id,type,activity_date,created_date\nt9,u_ae1,Call,2025-03-02,2025-03-02\n")
    before = snapshot(case / "home")
    process = _salesops(case)
    seen = []
    for line in process.stdout:
        seen.append(line)
        if trigger in line:
            break
    else:
        pytest.fail(f"the build ended before {moment}: {''.join(seen[-20:])}")
    time.sleep(delay)
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
    assert result.stdout.strip() == "2"


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
