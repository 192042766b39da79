"""Shared test helpers: the dbt manifest, a build through the real `salesops build` path, and
small landing files written by hand."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import duckdb
import pytest

from orchestration.transform.project import prepare_manifest

FIXTURES = Path(__file__).parent / "fixtures"


def pytest_configure(config) -> None:
    """The Dagster definitions load the dbt manifest when test modules are imported, so it
    must be current before collection (a fresh clone has none)."""
    prepare_manifest()


@pytest.fixture(scope="session")
def dbt_manifest() -> Path:
    """Path of the current dbt manifest."""
    return prepare_manifest()


def build(landing: Path, home: Path, as_of: str | None = None) -> int:
    """Run `salesops build` in-process; returns its exit status."""
    from orchestration.cli import main

    args = ["build", "--landing", str(landing), "--home", str(home)]
    return main(args + (["--as-of", as_of] if as_of else []))


def published(home: Path, sql: str, params: list | None = None, database: str = "bi") -> list[tuple]:
    """Query the published BI database the way a dashboard would: read-only
    (database="restricted": the restricted publication, as finance reads it)."""
    con = duckdb.connect(str(home / "published" / f"{database}.duckdb"), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


@pytest.fixture(scope="session")
def handmade_baseline(tmp_path_factory) -> Path:
    """One published build of the hand-written landing (tests/fixtures/handmade), shared by
    the session: `root/landing` and `root/home`. Tests only read it; a test that changes the
    landing or builds again works on a copy (`shutil.copytree(root, dest, symlinks=True)`)."""
    root = tmp_path_factory.mktemp("handmade-baseline")
    copy_landing("handmade", root / "landing")
    assert build(root / "landing", root / "home") == 0
    return root


def copy_landing(name: str, dest: Path) -> Path:
    shutil.copytree(FIXTURES / name, dest)
    return dest


def write_csv(path: Path, header: list[str], rows: list[list[object]], bom: bool = False) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8-sig" if bom else "utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    return path


# A company of a few hundred reps, generated and built once per test session: the marts are
# checked against the generator's ground truth. 200 reps over a year is large enough for the
# tolerances the tests justify and builds in about a minute on 2 cores.
GENERATED_REPS = 200
GENERATED_START = "2025-01-01"
GENERATED_END = "2025-12-31"


@pytest.fixture(scope="session")
def generated_company(tmp_path_factory) -> tuple[Path, dict]:
    """(landing folder, ground truth) of the session's generated company."""
    import json
    from datetime import date

    from simco import generate

    landing = tmp_path_factory.mktemp("generated") / "landing"
    truth = generate(
        landing,
        reps=GENERATED_REPS,
        start=date.fromisoformat(GENERATED_START),
        end=date.fromisoformat(GENERATED_END),
        seed=7,
    )
    return landing, json.loads(Path(truth).read_text())


@pytest.fixture(scope="session")
def generated_home(generated_company, tmp_path_factory) -> Path:
    """The warehouse home of a successful build of the generated company."""
    landing, _ = generated_company
    home = tmp_path_factory.mktemp("generated-home")
    assert build(landing, home) == 0
    return home
