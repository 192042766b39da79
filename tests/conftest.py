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


@pytest.fixture(scope="session", autouse=True)
def dbt_manifest() -> Path:
    """The Dagster definitions load the dbt manifest; make sure it is current."""
    return prepare_manifest()


def build(landing: Path, home: Path, as_of: str | None = None) -> int:
    """Run `salesops build` in-process; returns its exit status."""
    from orchestration.cli import main

    args = ["build", "--landing", str(landing), "--home", str(home)]
    return main(args + (["--as-of", as_of] if as_of else []))


def published(home: Path, sql: str, params: list | None = None) -> list[tuple]:
    """Query the published BI database the way a dashboard would: read-only."""
    con = duckdb.connect(str(home / "published" / "bi.duckdb"), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


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
