"""Every failure of `salesops build` says what and where, and what to do, in one
"build FAILED" line, with no traceback unless --verbose; the publication stays as it was."""

import json
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import FIXTURES, build, copy_landing
from test_quality_gates import snapshot

SALESOPS = Path(sys.executable).with_name("salesops")


def last_line(text: str) -> str:
    return text.strip().splitlines()[-1]


@pytest.fixture
def landing(tmp_path) -> Path:
    return copy_landing("handmade", tmp_path / "landing")


@pytest.mark.parametrize(
    ("as_of", "when"), [("2025-02-28", "before the first"), ("2025-03-03", "after the latest")]
)
def test_an_as_of_day_outside_the_landing_days_is_one_sentence(landing, tmp_path, capsys, as_of, when):
    # The hand-written landing holds 2025-03-01 (every source) and 2025-03-02 (crm).
    assert build(landing, tmp_path / "home", as_of=as_of) == 2
    err = capsys.readouterr().err
    assert last_line(err) == (
        f"build FAILED: --as-of {as_of} is {when} landing day (2025-03-01 to 2025-03-02 in "
        f"{landing}): choose a day from 2025-03-01 to 2025-03-02"
    )
    assert "Traceback" not in err


def test_a_landing_folder_without_days_is_one_sentence(tmp_path, capsys):
    (tmp_path / "landing").mkdir()
    assert build(tmp_path / "landing", tmp_path / "home") == 2
    assert last_line(capsys.readouterr().err) == (
        f"build FAILED: no landing day in {tmp_path / 'landing'}: expected folders like "
        f"{tmp_path / 'landing'}/crm/YYYY-MM-DD/<table>.csv (CONTRACTS.md)"
    )


def test_a_corrupt_warehouse_says_how_to_recover(landing, tmp_path, capsys):
    database = tmp_path / "home/warehouse.duckdb"
    database.parent.mkdir()
    database.write_bytes(b"not a database" * 1000)
    assert build(landing, tmp_path / "home") == 2
    err = capsys.readouterr().err
    line = last_line(err)
    assert line.startswith(f"build FAILED: the working database {database} cannot be opened (")
    assert f"move it aside (mv {database} {database}.broken) and build again" in line
    assert "Traceback" not in err


def test_a_read_only_home_says_what_to_do(landing, tmp_path, capsys):
    home = tmp_path / "home"
    home.mkdir()
    # Root ignores permission bits; the immutable flag holds for root too.
    subprocess.run(["chattr", "+i", str(home)], check=True)
    try:
        assert build(landing, home) == 2
    finally:
        subprocess.run(["chattr", "-i", str(home)], check=True)
    err = capsys.readouterr().err
    assert last_line(err) == (
        f"build FAILED: cannot write the home {home} (Operation not permitted): make it "
        "writable, or build into another home with --home DIR"
    )
    assert "Traceback" not in err


def test_a_latin1_file_is_named_in_the_failed_line(handmade_baseline, tmp_path, capsys):
    case = tmp_path / "case"
    shutil.copytree(handmade_baseline, case, symlinks=True)
    before = snapshot(case / "home")
    path = case / "landing/hr/2025-03-02/employee.csv"
    path.parent.mkdir()
    path.write_bytes("employee_id,full_name,work_email,hire_date\nE9,José,jose@example.com,2025-03-02\n"
                     .encode("latin-1"))
    assert build(case / "landing", case / "home") == 1
    out = capsys.readouterr()
    # The header line is 43 bytes and "E9,Jos" 6 more: the é (0xe9) is byte 49.
    assert (f"build FAILED: check raw/hr files_within_contract failed: {path}: not UTF-8 text "
            "(invalid continuation byte at byte 49); nothing new was published (run ") in out.out
    assert "Traceback" not in out.out + out.err
    assert snapshot(case / "home") == before


def test_a_corrupt_publication_manifest_is_named_and_the_build_recovers(handmade_baseline, tmp_path, capsys):
    case = tmp_path / "case"
    shutil.copytree(handmade_baseline, case, symlinks=True)
    manifest = case / "home/published/publication.json"
    manifest.write_text('{"run_id": "cut off in the midd')
    corrupt = manifest.resolve()  # the file in the publication the build replaces
    assert build(case / "landing", case / "home") == 0
    text = capsys.readouterr()
    assert (f"{corrupt} is not a readable publication manifest (Unterminated string "
            "starting at: line 1 column 12 (char 11)): treated as absent") in text.err
    assert json.loads(manifest.read_text())["as_of"] == "2025-03-02"  # a new, whole manifest


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_and_sigterm_end_in_one_interrupted_line(handmade_baseline, tmp_path, sig):
    case = tmp_path / "case"
    shutil.copytree(handmade_baseline, case, symlinks=True)
    before = snapshot(case / "home")
    (case / "landing/crm/2025-03-02/task.csv").write_text(
        "id,owner_id,type,activity_date,created_date\nt9,u_ae1,Call,2025-03-02,2025-03-02\n"
    )
    proc = subprocess.Popen(
        [str(SALESOPS), "build", "--landing", str(case / "landing"), "--home", str(case / "home")],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    lines = []
    for line in proc.stdout:  # signal on the build's own progress: inside the dbt step
        lines.append(line)
        if line.startswith("start  dbt_models"):
            proc.send_signal(sig)
            break
    rest, _ = proc.communicate(timeout=300)
    output = "".join(lines) + rest
    assert proc.returncode == 130
    assert last_line(output) == (
        "build FAILED: interrupted (Ctrl-C or SIGTERM); nothing new was published, and the next "
        "build starts clean"
    )
    assert "Traceback" not in output
    assert snapshot(case / "home") == before


def test_an_unexpected_error_is_one_line_unless_verbose(monkeypatch, capsys):
    from orchestration import cli
    from orchestration.ingest import contracts

    def broken(source):
        raise RuntimeError("the disk is on fire")

    monkeypatch.setattr(contracts, "dbt_sources_yaml", broken)
    assert cli.main(["contracts"]) == 1
    assert capsys.readouterr().err.strip() == (
        "salesops contracts FAILED: RuntimeError: the disk is on fire (run with --verbose for "
        "the traceback)"
    )
    with pytest.raises(RuntimeError, match="the disk is on fire"):
        cli.main(["contracts", "--verbose"])
