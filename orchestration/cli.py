"""The `salesops` command: generate a simulated company, build the warehouse, open the UI."""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import shutil
import sys
from datetime import date
from pathlib import Path

from orchestration.resources import PROJECT_ROOT
from orchestration.summary import build_summary


def _use_home(home: Path, landing: Path | None, as_of: date | None = None) -> Path:
    """Point the project's resources and the Dagster instance at one warehouse home."""
    home = home.resolve()
    dagster_home = home / "dagster"
    dagster_home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(PROJECT_ROOT / "dagster.yaml", dagster_home / "dagster.yaml")
    os.environ.update(
        SALESOPS_HOME=str(home),
        SALESOPS_LANDING=str((landing or home / "landing").resolve()),
        SALESOPS_WAREHOUSE=str(home / "warehouse.duckdb"),
        DAGSTER_HOME=str(dagster_home),
    )
    os.environ.pop("SALESOPS_AS_OF", None)
    if as_of:
        os.environ["SALESOPS_AS_OF"] = as_of.isoformat()
    return home


def _generate(args: argparse.Namespace) -> int:
    from simco import generate

    kwargs = {k: getattr(args, k) for k in ("reps", "start", "end", "seed") if getattr(args, k)}
    truth = generate(args.out, **kwargs)
    print(f"landing files in {args.out}; ground truth in {truth}")
    return 0


def _build(args: argparse.Namespace) -> int:
    home = _use_home(args.home, args.landing, args.as_of)
    landing = Path(os.environ["SALESOPS_LANDING"])
    if not landing.is_dir():
        print(f"salesops build: landing folder {landing} does not exist", file=sys.stderr)
        return 2
    lock = (home / ".build.lock").open("w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        print(f"salesops build: another build is writing {home}", file=sys.stderr)
        return 2
    try:
        import dagster as dg

        from orchestration.transform.project import prepare_manifest

        print(f"building {home} from {landing}", file=sys.stderr)
        prepare_manifest()
        from orchestration.definitions import defs

        job = defs.resolve_job_def("build")
        warehouse_config = {
            "home": str(home),
            "landing": str(landing),
            "as_of": args.as_of.isoformat() if args.as_of else "",
        }
        with dg.DagsterInstance.get() as instance:
            result = job.execute_in_process(
                instance=instance,
                run_config={
                    "loggers": {"console": {}},  # the compact progress logger
                    "resources": {"warehouse": {"config": warehouse_config}},
                },
                raise_on_error=False,
            )
        text, failed_checks = build_summary(result, home / "warehouse.duckdb")
        print("\n" + text)
        publication = home / "published" / "publication.json"
        if result.success and publication.exists():
            info = json.loads(publication.read_text())
            print(f"\npublished as of {info['as_of']} to {publication.parent} (run {result.run_id})")
        else:
            print(f"\nbuild FAILED (run {result.run_id}); nothing new was published")
        return 0 if result.success and not failed_checks else 1
    finally:
        fcntl.flock(lock, fcntl.LOCK_UN)
        lock.close()


def _dev(args: argparse.Namespace) -> int:
    _use_home(args.home, args.landing)
    from orchestration.transform.project import prepare_manifest

    prepare_manifest()
    dagster = Path(sys.executable).with_name("dagster")
    command = [str(dagster), "dev", "-m", "orchestration.definitions", "-h", "127.0.0.1"]
    command += ["-p", str(args.port)]
    os.chdir(PROJECT_ROOT)
    os.execv(command[0], command)


def _statements(args: argparse.Namespace) -> int:
    from orchestration.statements import StatementError, write_statements

    try:
        folder, count = write_statements(args.home.resolve(), args.period)
    except StatementError as error:
        print(f"salesops statements: {error}", file=sys.stderr)
        return 2
    print(f"{count} statement(s) for {args.period} in {folder} (index.html, index.csv)")
    return 0


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

    con = sub.add_parser("contracts", help="check (or rewrite) the dbt sources against contracts.yml")
    con.add_argument("--write-dbt-sources", action="store_true")
    con.set_defaults(func=_contracts)

    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
