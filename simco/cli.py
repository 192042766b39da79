"""The generator's one command line: `salesops generate` and `python -m simco` are both this
(the same arguments, defaults and checks)."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from simco.api import DEFAULTS, generate


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from exc


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The generator's arguments, with generate()'s defaults."""
    parser.add_argument("--out", required=True, type=Path, help="landing folder to write")
    parser.add_argument("--reps", type=int, default=DEFAULTS["reps"],
                        help=f"quota-carrying reps at the start (default {DEFAULTS['reps']})")
    parser.add_argument("--start", type=_day, default=DEFAULTS["start"],
                        help=f"first landing day, YYYY-MM-DD (default {DEFAULTS['start']})")
    parser.add_argument("--end", type=_day, default=DEFAULTS["end"],
                        help=f"last landing day, YYYY-MM-DD (default {DEFAULTS['end']})")
    parser.add_argument("--seed", type=int, default=DEFAULTS["seed"],
                        help=f"random seed (default {DEFAULTS['seed']})")
    parser.add_argument("--rehires", type=int, default=DEFAULTS["rehires"],
                        help="SDRs/BDRs who leave and come back as their own backfill, with their CRM "
                        f"user and a new employee record, when the company has one (default "
                        f"{DEFAULTS['rehires']}; 0: none)")


def run(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    """Check the arguments (an error exits through the parser, status 2) and generate."""
    if args.reps < 1:
        parser.error("--reps must be at least 1")
    if args.end < args.start:
        parser.error("--end is before --start")
    if args.rehires < 0:
        parser.error("--rehires must be 0 or more")
    truth = generate(args.out, reps=args.reps, start=args.start, end=args.end, seed=args.seed,
                     rehires=args.rehires)
    print(truth)  # the ground truth; the landing files are beside it
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m simco", description=__doc__)
    add_arguments(parser)
    return run(parser, parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
