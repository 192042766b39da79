"""The `salesops` command: generate a simulated company, build the warehouse, open the UI."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from datetime import date
from pathlib import Path

from orchestration.ingest.contracts import load_contracts
from orchestration import PROJECT_ROOT
from orchestration.summary import build_summary, innermost


# How the project's dagster.yaml names the storage folder; a home's copy names its own.
STORAGE_DIR = "{env: DAGSTER_HOME}"


def _use_home(home: Path, landing: Path | None, as_of: date | None = None) -> Path:
    """Point the project's resources and the Dagster instance at one warehouse home."""
    home = home.resolve()
    dagster_home = home / "dagster"
    dagster_home.mkdir(parents=True, exist_ok=True)
    # The copy names its own folder as the storage's base_dir, so whoever opens this instance
    # (a test, a script, the UI) reads this home's runs whatever DAGSTER_HOME says.
    config = (PROJECT_ROOT / "dagster.yaml").read_text()
    if STORAGE_DIR not in config:
        raise RuntimeError(f"{PROJECT_ROOT / 'dagster.yaml'} must set the storage base_dir to {STORAGE_DIR}")
    (dagster_home / "dagster.yaml").write_text(config.replace(STORAGE_DIR, json.dumps(str(dagster_home))))
    os.environ.update(
        SALESOPS_HOME=str(home),
        SALESOPS_LANDING=str((landing or home / "landing").resolve()),
        SALESOPS_WAREHOUSE=str(home / "warehouse.duckdb"),
        DAGSTER_HOME=str(dagster_home),
    )
    os.environ.pop("SALESOPS_AS_OF", None)
    # Marks the processes of one run (orchestration/runs.py); never inherited from a caller.
    os.environ.pop("SALESOPS_RUN_ID", None)
    if as_of:
        os.environ["SALESOPS_AS_OF"] = as_of.isoformat()
    return home


def _generate(args: argparse.Namespace) -> int:
    from simco import generate

    kwargs = {k: getattr(args, k) for k in ("reps", "start", "end", "seed") if getattr(args, k)}
    truth = generate(args.out, **kwargs)
    print(f"landing files in {args.out}; ground truth in {truth}")
    return 0


class BuildFailed(Exception):
    """A build that cannot start or did not finish; the message says what and what to do."""

    def __init__(self, message: str, code: int = 1):
        super().__init__(message)
        self.code = code


def _interrupt(_signum, _frame):
    raise KeyboardInterrupt


def _build(args: argparse.Namespace) -> int:
    """`salesops build`: ends with one line, "published ..." or "build FAILED: <cause>"."""
    # SIGTERM stops a build like Ctrl-C (Dagster maps it the same way while the run executes):
    # the run stops at its next safe point, dbt with it, and nothing is published.
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        return _run_build(args)
    except BuildFailed as failure:
        print(f"build FAILED: {failure}", file=sys.stderr)
        return failure.code
    except KeyboardInterrupt:
        print("build FAILED: interrupted (Ctrl-C or SIGTERM); nothing new was published, and "
              "the next build starts clean", file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous)


def _writable_home(home: Path) -> None:
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


def _check_as_of(landing: Path, as_of: date | None, latest: date | None) -> None:
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


def _check_database(database: Path) -> None:
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


def _outcome(result) -> str | None:
    """The cause of a failed run in one line, or None when it succeeded: the blocking checks
    that failed (their first finding), else the first failed step. Raises KeyboardInterrupt
    when the run was interrupted."""
    failures = [
        e for e in result.all_events
        if e.event_type_value == "STEP_FAILURE" and e.step_failure_data.error
    ]
    causes = [innermost(e.step_failure_data.error) for e in failures]
    if any(c.cls_name == "DagsterExecutionInterruptedError" for c in causes):
        raise KeyboardInterrupt
    blocking = [
        e for e in result.get_asset_check_evaluations()
        if not e.passed and e.severity.value == "ERROR"
    ]
    if blocking:
        first = blocking[0]
        finding = (first.description or "").strip().splitlines()[:1]
        more = f" (and {len(blocking) - 1} more failed check(s))" if len(blocking) > 1 else ""
        return (f"check {first.asset_key.to_user_string()} {first.check_name} failed"
                + (f": {finding[0][:300]}" if finding else "") + more)
    if failures:
        cause = causes[0].message.strip().splitlines()[0]
        more = f" (and {len(failures) - 1} more failed step(s))" if len(failures) > 1 else ""
        return f"step {failures[0].step_key} failed: {cause[:300]}{more}"
    return None if result.success else "the run did not succeed (see the summary above)"


def _run_build(args: argparse.Namespace) -> int:
    home = args.home.resolve()
    _writable_home(home)
    home = _use_home(args.home, args.landing, args.as_of)
    landing = Path(os.environ["SALESOPS_LANDING"])
    if not landing.is_dir():
        raise BuildFailed(f"landing folder {landing} does not exist", code=2)
    from orchestration import runs
    from orchestration.resources import Warehouse

    # One writer per home: the lock every run holds (orchestration/runs.py); refused, not
    # waited for, when another run holds it.
    run_id = runs.new_run_id()
    lock = runs.HomeLock(home)
    try:
        lock.acquire(run_id, "salesops build")
    except runs.HomeBusy as busy:
        raise BuildFailed(f"{busy}; try again when it has finished", code=2) from busy
    try:
        _check_database(home / "warehouse.duckdb")
        warehouse_config = {
            "home": str(home),
            "landing": str(landing),
            "as_of": args.as_of.isoformat() if args.as_of else "",
        }
        latest = Warehouse(home=str(home), landing=str(landing)).as_of_date()
        _check_as_of(landing, args.as_of, latest)

        import dagster as dg

        from orchestration.transform.project import prepare_manifest

        print(f"building {home} from {landing} (run {run_id})", file=sys.stderr)
        prepare_manifest()
        from orchestration.definitions import defs

        job = defs.resolve_job_def("build")
        with dg.DagsterInstance.get() as instance:
            # A run left in progress by a process that died is failed before this one starts.
            for note in runs.fail_dead_runs(instance, home):
                print(f"salesops build: {note}", file=sys.stderr)
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
        print("\n" + text)
        published = any(
            e.asset_key.to_user_string() == "published/marts"
            for e in result.get_asset_materialization_events()
        )
        cause = _outcome(result)
        publication = home / "published" / "publication.json"
        if published:
            info = json.loads(publication.read_text())
            print(f"\npublished as of {info['as_of']} to {publication.parent} (run {result.run_id})")
        if cause is None:
            return 0
        tail = "" if published else "; nothing new was published"
        print(f"\nbuild FAILED: {cause}{tail} (run {result.run_id})")
        return 1
    finally:
        lock.release()


def _dev(args: argparse.Namespace) -> int:
    home = _use_home(args.home, args.landing)
    import dagster as dg

    from orchestration import runs
    from orchestration.transform.project import prepare_manifest

    prepare_manifest()
    with dg.DagsterInstance.get() as instance:
        for note in runs.fail_dead_runs(instance, home):
            print(f"salesops dev: {note}", file=sys.stderr)
    dagster = Path(sys.executable).with_name("dagster")
    command = [str(dagster), "dev", "-m", "orchestration.definitions", "-h", "127.0.0.1"]
    command += ["-p", str(args.port)]
    # `dagster dev` and everything it starts (webserver, daemon, code server, run workers) in
    # one process group: SIGINT or SIGTERM stops the group within a few seconds.
    return runs.supervise(command, cwd=PROJECT_ROOT, grace_seconds=5, name="salesops dev")


def _statements(args: argparse.Namespace) -> int:
    from orchestration.statements import StatementError, write_statements

    try:
        folder, count = write_statements(args.home.resolve(), args.period)
    except StatementError as error:
        print(f"salesops statements: {error}", file=sys.stderr)
        return 2
    print(f"{count} statement(s) for {args.period} in {folder} (index.html, index.csv)")
    return 0


def _forget(args: argparse.Namespace) -> int:
    """Drop one loaded landing day of a source from the warehouse: the explicit way to remove
    history (a day folder that disappears from the landing folder keeps its rows)."""
    import duckdb

    from orchestration import runs
    from orchestration.ingest.loader import forget_day

    home = args.home.resolve()
    database = home / "warehouse.duckdb"
    if not database.exists():
        print(f"salesops forget: no warehouse at {database}", file=sys.stderr)
        return 2
    lock = runs.HomeLock(home)
    try:
        lock.acquire(runs.new_run_id(), "salesops forget")
    except runs.HomeBusy as busy:
        print(f"salesops forget: {busy}; try again when it has finished", file=sys.stderr)
        return 2
    try:
        con = duckdb.connect(str(database))
        try:
            forgotten = forget_day(con, args.source, args.day)
        finally:
            con.close()
    finally:
        lock.release()
    if not forgotten:
        print(f"salesops forget: {args.source} {args.day} is not a loaded landing day of {home}",
              file=sys.stderr)
        return 2
    print(f"forgot {args.source} {args.day}: its rows are gone from {database}; the next build "
          "loads the day again if its folder is in the landing folder, and publishes without "
          "it otherwise")
    return 0


def _dashboard(args: argparse.Namespace) -> int:
    from orchestration.dashboard.serve import serve

    return serve(args.home, args.port, args.restricted)


def _docs(args: argparse.Namespace) -> int:
    from orchestration.docs import docs

    return docs(args.home.resolve(), args.out, args.port)


def _metrics(args: argparse.Namespace) -> int:
    from orchestration.metrics import metrics

    return metrics(args)


def _contracts(args: argparse.Namespace) -> int:
    from orchestration.ingest.contracts import dbt_sources_yaml, load_contracts

    stale = []
    for source in load_contracts():
        path = PROJECT_ROOT / "models" / "staging" / source / f"_{source}__sources.yml"
        text = dbt_sources_yaml(source)
        if args.write_dbt_sources:
            path.write_text(text)
            print(f"wrote {path}")
        elif not path.exists() or path.read_text() != text:
            stale.append(str(path))
    if stale:
        print("out of date with contracts.yml (run `salesops contracts --write-dbt-sources`):")
        print("\n".join(f"  {p}" for p in stale))
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="salesops", description=__doc__)
    parser.add_argument(
        "--verbose", action="store_true", help="show the full traceback of an unexpected error"
    )
    sub = parser.add_subparsers(dest="command", required=True)

    gen = sub.add_parser("generate", help="write a simulated company's landing files")
    gen.add_argument("--out", type=Path, required=True, help="landing folder to write")
    gen.add_argument("--reps", type=int, help="quota-carrying reps at the start (default 40)")
    gen.add_argument("--start", type=date.fromisoformat, help="first landing day, YYYY-MM-DD")
    gen.add_argument("--end", type=date.fromisoformat, help="last landing day, YYYY-MM-DD")
    gen.add_argument("--seed", type=int, help="random seed (default 42)")
    gen.set_defaults(func=_generate)

    bld = sub.add_parser("build", help="ingest, run dbt and its checks, publish the marts")
    bld.add_argument("--landing", type=Path, help="landing folder (default HOME/landing)")
    bld.add_argument("--home", type=Path, default=Path("var"), help="warehouse home (default ./var)")
    bld.add_argument(
        "--as-of", type=date.fromisoformat, help="build as of this day (default: latest landing day)"
    )
    bld.set_defaults(func=_build)

    dev = sub.add_parser("dev", help="start the Dagster UI on 127.0.0.1 for a home")
    dev.add_argument("--home", type=Path, default=Path("var"))
    dev.add_argument("--landing", type=Path)
    dev.add_argument("--port", type=int, default=3000)
    dev.set_defaults(func=_dev)

    stm = sub.add_parser(
        "statements", help="write per-rep commission statements (CSV, HTML) for a month"
    )
    stm.add_argument(
        "--period", required=True,
        help="YYYY-MM: the plan periods containing that month (monthly plans: the month; "
        "quarterly plans: the quarter holding it)",
    )
    stm.add_argument("--home", type=Path, default=Path("var"), help="warehouse home (default ./var)")
    stm.set_defaults(func=_statements)

    fgt = sub.add_parser(
        "forget", help="drop one loaded landing day of a source from the warehouse"
    )
    fgt.add_argument("--source", required=True, choices=list(load_contracts()))
    fgt.add_argument("--day", required=True, type=date.fromisoformat, help="YYYY-MM-DD")
    fgt.add_argument("--home", type=Path, default=Path("var"), help="warehouse home (default ./var)")
    fgt.set_defaults(func=_forget)

    dsh = sub.add_parser("dashboard", help="serve the BI dashboard of a home's publication on 127.0.0.1")
    dsh.add_argument("--home", type=Path, default=Path("var"), help="warehouse home (default ./var)")
    dsh.add_argument("--port", type=int, default=8501)
    dsh.add_argument("--restricted", action="store_true",
                     help="add the Finance page (restricted.duckdb: rep names, commissions)")
    dsh.set_defaults(func=_dashboard)

    dcs = sub.add_parser("docs", help="generate the dbt docs site (with the catalog) and serve it")
    dcs.add_argument("--home", type=Path, default=Path("var"), help="warehouse home (default ./var)")
    dcs.add_argument("--out", type=Path, help="write the static site to this folder instead of serving it")
    dcs.add_argument("--port", type=int, default=8080)
    dcs.set_defaults(func=_docs)

    mtr = sub.add_parser(
        "metrics", help="query the metric definitions (MetricFlow) on a home's publication"
    )
    mtr.add_argument("--home", type=Path, default=Path("var"), help="warehouse home (default ./var)")
    mtr.add_argument("--metrics", action="append", required=True,
                     help="metric names, comma-separated (models/marts/semantic)")
    mtr.add_argument("--group-by", action="append",
                     help="e.g. metric_time__month, metric_time__fiscal_quarter, account__segment")
    mtr.add_argument("--where", action="append",
                     help="e.g. \"{{ Dimension('attainment_row__team') }} = 'EMEA Sales'\"")
    mtr.add_argument("--order", action="append", help="e.g. -metric_time__month (newest first)")
    mtr.add_argument("--limit", type=int)
    mtr.add_argument("--csv", type=Path, help="write the result to this CSV file")
    mtr.set_defaults(func=_metrics)

    con = sub.add_parser("contracts", help="check (or rewrite) the dbt sources against contracts.yml")
    con.add_argument("--write-dbt-sources", action="store_true")
    con.set_defaults(func=_contracts)

    for command in sub.choices.values():  # `salesops build --verbose` too
        command.add_argument("--verbose", action="store_true", default=argparse.SUPPRESS,
                             help="show the full traceback of an unexpected error")
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except Exception as error:  # an error no command foresaw: one line, unless --verbose
        if args.verbose:
            raise
        word = "build" if args.command == "build" else f"salesops {args.command}"
        print(f"{word} FAILED: {type(error).__name__}: {error} (run with --verbose for the "
              "traceback)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
