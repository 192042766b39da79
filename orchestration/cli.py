"""The `salesops` command: generate a simulated company, build the warehouse, open the UI.

Each command parses its arguments, hands them to one function that does the work (and can be
tested alone) and prints what it returns: generate -> simco.cli, build and forget ->
orchestration/build.py, dev -> orchestration/dev.py, statements ->
orchestration/publish/statements/, contracts -> orchestration/ingest/contracts.py.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from orchestration import PROJECT_ROOT
from orchestration.ingest.contracts import load_contracts


def _err(text: str) -> None:
    print(text, file=sys.stderr)


def _build(args: argparse.Namespace) -> int:
    """`salesops build`: ends with one line, "published ..." or "build FAILED: <cause>"."""
    from orchestration.build import BuildFailed, build

    try:
        report = build(args.home, args.landing, args.as_of, log=_err)
    except BuildFailed as failure:
        _err(f"build FAILED: {failure}")
        return failure.code
    except KeyboardInterrupt:
        _err("build FAILED: interrupted (Ctrl-C or SIGTERM); nothing new was published, and "
             "the next build starts clean")
        return 130
    print("\n" + report.summary)
    if report.published_line:
        print(f"\n{report.published_line}")
    if report.cause is not None:
        tail = "" if report.published_line else "; nothing new was published"
        print(f"\nbuild FAILED: {report.cause}{tail} (run {report.run_id})")
    return report.exit_code


def _dev(args: argparse.Namespace) -> int:
    from orchestration.dev import serve

    return serve(args.home, args.landing, args.port, log=_err)


def _statements(args: argparse.Namespace) -> int:
    from orchestration.publish.statements import StatementError, write_statements

    try:
        folder, count = write_statements(args.home.resolve(), args.period)
    except StatementError as error:
        _err(f"salesops statements: {error}")
        return 2
    print(f"{count} statement(s) for {args.period} in {folder} (index.html, index.csv)")
    return 0


def _forget(args: argparse.Namespace) -> int:
    """Drop one loaded landing day of a source from the warehouse: the explicit way to remove
    history (a day folder that disappears from the landing folder keeps its rows)."""
    from orchestration.build import ForgetFailed, forget

    try:
        database = forget(args.home, args.source, args.day)
    except ForgetFailed as error:
        _err(f"salesops forget: {error}")
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
    from orchestration.ingest.contracts import dbt_sources_files

    stale = []
    for path, text in dbt_sources_files(PROJECT_ROOT).items():
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
    from simco import cli as generator

    parser = argparse.ArgumentParser(prog="salesops", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--verbose", action="store_true", help="show the full traceback of an unexpected error"
    )
    sub = parser.add_subparsers(dest="command", required=True)

    gen = sub.add_parser("generate", help="write a simulated company's landing files")
    generator.add_arguments(gen)
    gen.set_defaults(func=lambda args: generator.run(gen, args))

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
        "statements", help="write per-rep commission statements (CSV, HTML, PDF) for a month"
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
