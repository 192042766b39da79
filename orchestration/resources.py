"""Where the build reads and writes: the warehouse home, the landing folder and the as-of day.

Everything comes from the environment with local defaults that work on a fresh checkout:
SALESOPS_HOME (default ./var), SALESOPS_LANDING (default <home>/landing), SALESOPS_AS_OF
(default: the latest landing day). The working
database is <home>/warehouse.duckdb; BI reads only <home>/published/.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb

from orchestration import PROJECT_ROOT


def default_home() -> str:
    return os.environ.get("SALESOPS_HOME", str(PROJECT_ROOT / "var"))


def default_landing() -> str:
    return os.environ.get("SALESOPS_LANDING", str(Path(default_home()) / "landing"))


class Warehouse(dg.ConfigurableResource):
    """The warehouse home: working database, landing folder and published layer."""

    home: str
    landing: str
    as_of: str = ""  # YYYY-MM-DD; empty: the latest landing day loaded

    @property
    def database_path(self) -> Path:
        return Path(self.home) / "warehouse.duckdb"

    @property
    def published_dir(self) -> Path:
        return Path(self.home) / "published"

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        """Before a run's first step: hold the home's lock for the run (one writer per home),
        record the run's process and fail runs whose process died (orchestration/runs.py)."""
        from orchestration.runs import claim_home

        claim_home(Path(self.home), context)

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        from orchestration.runs import release_home

        release_home(context)

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """A short-lived connection; closed on exit so no lock outlives the step."""
        self.database_path.parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(str(self.database_path), read_only=read_only)
        try:
            con.execute("set TimeZone = 'UTC'")
            yield con
        finally:
            con.close()

    def as_of_date(self) -> date | None:
        """The as-of day of this build: configured, else the latest landing day, over every
        source, in the landing folder or already loaded (a loaded day whose folder was cleaned
        up keeps its rows, so the build does not move back in time without it)."""
        if self.as_of:
            return date.fromisoformat(self.as_of)
        from orchestration.ingest.loader import latest_landing_day

        days = [latest_landing_day(Path(self.landing))]
        if self.database_path.exists():
            with self.connect(read_only=True) as con:
                if con.execute(
                    "select count(*) from information_schema.tables "
                    "where table_schema = 'raw' and table_name = '_loaded_days'"
                ).fetchall()[0][0]:
                    days += [con.execute("select max(batch_date) from raw._loaded_days").fetchall()[0][0]]
        return max((d for d in days if d is not None), default=None)


def _setting(name: str, default: str) -> str | dg.EnvVar:
    """A setting of the code location: dg.EnvVar(name) where the environment sets it (`salesops
    dev` does, for its home), so Dagster reads it when a run starts and shows where it came
    from; else the local default."""
    return dg.EnvVar(name) if os.environ.get(name) else default


def warehouse_from_env() -> Warehouse:
    """The warehouse resource of the code location. `salesops build` replaces its config in
    the run config of every build (orchestration/build.py)."""
    return Warehouse(
        home=_setting("SALESOPS_HOME", default_home()),
        landing=_setting("SALESOPS_LANDING", default_landing()),
        as_of=_setting("SALESOPS_AS_OF", ""),
    )
