"""`python -m simco`: generate a simulated sales organisation's landing files."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from simco.api import generate


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from exc


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m simco", description=__doc__)
    parser.add_argument("--out", required=True, type=Path, help="landing folder to write")
    parser.add_argument("--reps", type=int, default=40, help="quota-carrying reps at the start (default 40)")
    parser.add_argument("--start", type=_day, default=date(2025, 1, 1), help="first landing day (default 2025-01-01)")
    parser.add_argument("--end", type=_day, default=date(2025, 12, 31), help="last landing day (default 2025-12-31)")
    parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    args = parser.parse_args(argv)
    if args.reps < 1:
        parser.error("--reps must be at least 1")
    if args.end < args.start:
        parser.error("--end is before --start")
    path = generate(args.out, reps=args.reps, start=args.start, end=args.end, seed=args.seed)
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
