"""The commands that write a warehouse home, each under the home's lock (orchestration/runs.py):
`build` (ingest, dbt and its checks, publish) and `forget` (drop one loaded landing day).

Each takes its settings as arguments and hands them to Dagster as run config; nothing here
writes the process environment. The command line (cli.py) only parses arguments and prints.
"""

from __future__ import annotations

import os
import signal
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from orchestration import runs
from orchestration.ingest.contracts import load_contracts


class BuildFailed(Exception):
    """A build that cannot start or did not finish; the message says what and what to do."""

    def __init__(self, message: str, code: int = 1):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class BuildReport:
    """What a finished build run did: the summary to print, the publication line (if it
    published) and the cause of the failure (None when it succeeded)."""

    run_id: str
    summary: str
    published_line: str | None
    cause: str | None

    @property
    def exit_code(self) -> int:
        return 0 if self.cause is None else 1


def _interrupt(_signum, _frame):
    raise KeyboardInterrupt


def writable_home(home: Path) -> None:
    """Fail with what to do when the home cannot be written."""
    try:
        home.mkdir(parents=True, exist_ok=True)
        probe = home / f".write-test-{os.getpid()}"
        probe.write_text("")
        probe.unlink()
    except OSError as error:
        raise BuildFailed(
            f"cannot write the home {home} ({error.strerror or error}): make it writable, or "
            "build into another home with --home DIR", code=2
        ) from error


def check_as_of(landing: Path, as_of: date | None, latest: date | None) -> None:
    """Fail with a sentence when the as-of day lies outside the landing days."""
    from orchestration.ingest.loader import landing_days

    first = min((d for s in load_contracts() for d in landing_days(landing, s)[0]), default=None)
    if first is None or latest is None:
        raise BuildFailed(
            f"no landing day in {landing}: expected folders like "
            f"{landing}/crm/YYYY-MM-DD/<table>.csv (CONTRACTS.md)", code=2
        )
    if as_of is not None and not first <= as_of <= latest:
        when = "before the first" if as_of < first else "after the latest"
        raise BuildFailed(
            f"--as-of {as_of} is {when} landing day ({first} to {latest} in {landing}): "
            f"choose a day from {first} to {latest}", code=2
        )


def check_database(database: Path) -> None:
    """Fail with what to do when the working database cannot be opened."""
    import duckdb

    if not database.exists():
        return
    try:
        duckdb.connect(str(database), read_only=True).close()
    except duckdb.Error as error:
        reason = str(error).strip().splitlines()[0]
        if "lock" in reason.lower():
            raise BuildFailed(
                f"the working database {database} is open in another process ({reason}): "
                "close it (BI tools read HOME/published, never the working database) and "
                "build again", code=2
            ) from error
        raise BuildFailed(
            f"the working database {database} cannot be opened ({reason}). If it is corrupt, "
            f"move it aside (mv {database} {database}.broken) and build again: the next build "
            "loads the landing folder into a new one (days no longer in the landing folder "
            "stay only in the old file), and the publication BI reads stays as it is", code=2
        ) from error


def build(home: Path, landing: Path | None = None, as_of: date | None = None, log=print) -> BuildReport:
    """Build `home` from `landing` (default HOME/landing) as of `as_of` (default: the latest
    landing day) and publish it when every blocking check passed. Raises BuildFailed when the
    build cannot start, KeyboardInterrupt when it was interrupted (SIGTERM included)."""
    # SIGTERM stops a build like Ctrl-C (Dagster maps it the same way while the run executes):
    # the run stops at its next safe point, dbt with it, and nothing is published.
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        return _build(home, landing, as_of, log)
    finally:
        signal.signal(signal.SIGTERM, previous)


def _build(home: Path, landing: Path | None, as_of: date | None, log) -> BuildReport:
    from orchestration.resources import Warehouse

    home = home.resolve()
    writable_home(home)
    landing = (landing or home / "landing").resolve()
    if not landing.is_dir():
        raise BuildFailed(f"landing folder {landing} does not exist", code=2)
    # One writer per home: the lock every run holds (orchestration/runs.py); refused, not
    # waited for, when another run holds it.
    run_id = runs.new_run_id()
    with runs.holding(home, "salesops build",
                      lambda busy: BuildFailed(f"{busy}; try again when it has finished", code=2),
                      run_id=run_id):
        check_database(home / "warehouse.duckdb")
        warehouse_config = {
            "home": str(home),
            "landing": str(landing),
            "as_of": as_of.isoformat() if as_of else "",
        }
        check_as_of(landing, as_of, Warehouse(home=str(home), landing=str(landing)).as_of_date())

        from orchestration.summary import build_summary, published_line, run_outcome
        from orchestration.transform.project import prepare_manifest

        log(f"building {home} from {landing} (run {run_id})")
        prepare_manifest()
        from orchestration.definitions import defs

        job = defs.resolve_job_def("build")
        with runs.home_instance(home) as instance:
            # A run left in progress by a process that died is failed before this one starts.
            for note in runs.fail_dead_runs(instance, home):
                log(f"salesops build: {note}")
            # A run launched from the UI takes the lock in its first moments; do not start
            # under one that is starting.
            for other in runs.runs_in_progress(instance):
                raise BuildFailed(
                    f"{home} is being written by run {other.run_id} ({runs.origin_of(other)}, "
                    f"{other.status.value}); try again when it has finished", code=2
                )
            result = job.execute_in_process(
                instance=instance,
                run_config={
                    "loggers": {"console": {}},  # the compact progress logger
                    "resources": {"warehouse": {"config": warehouse_config}},
                },
                raise_on_error=False,
                run_id=run_id,
                tags=runs.process_tags("salesops build"),
            )
        text, _ = build_summary(result, home / "warehouse.duckdb")
        return BuildReport(result.run_id, text, published_line(result, home), run_outcome(result))


class ForgetFailed(Exception):
    """The day cannot be forgotten; the message says why."""


def forget(home: Path, source: str, day: date) -> Path:
    """Drop one loaded landing day of a source from the warehouse of `home`, under the home's
    lock: the explicit way to remove history (a day folder that disappears from the landing
    folder keeps its rows). Returns the working database."""
    import duckdb

    from orchestration.ingest.loader import forget_day

    home = home.resolve()
    database = home / "warehouse.duckdb"
    if not database.exists():
        raise ForgetFailed(f"no warehouse at {database}")
    with runs.holding(home, "salesops forget",
                      lambda busy: ForgetFailed(f"{busy}; try again when it has finished")):
        con = duckdb.connect(str(database))
        try:
            forgotten = forget_day(con, source, day)
        finally:
            con.close()
    if not forgotten:
        raise ForgetFailed(f"{source} {day} is not a loaded landing day of {home}")
    return database
