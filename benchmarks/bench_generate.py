"""Benchmark the simulated sales organisation generator (simco) by size.

    python benchmarks/bench_generate.py            # 10, 100 and 1000 reps over a year
    python benchmarks/bench_generate.py --full     # ... and 10000 reps
    python benchmarks/bench_generate.py --sizes 10 40 --keep /tmp/bench

Each size runs in its own process, so the peak RSS reported is that size's
alone. Prints seconds (wall and CPU), rows written, rows per second and peak
RSS per size.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _child(out: Path, reps: int, seed: int) -> None:
    """Generate one size in this process and print its measurements as JSON."""
    sys.path.insert(0, str(ROOT))
    from simco import generate

    t0, c0 = time.perf_counter(), time.process_time()
    gt_path = generate(out, reps=reps, start=date(2025, 1, 1), end=date(2025, 12, 31), seed=seed)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    counts = json.loads(gt_path.read_text())["counts"]
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    print(
        json.dumps(
            {
                "reps": reps,
                "wall_s": wall,
                "cpu_s": cpu,
                "rows": sum(counts.values()),
                "files": sum(1 for _ in out.rglob("*.csv")),
                "peak_rss_mb": peak_kb / 1024,
            }
        )
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", help="rep counts to run (default 10 100 1000)")
    parser.add_argument("--full", action="store_true", help="also run 10000 reps")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--keep", type=Path, help="write the landing folders here instead of a temporary folder")
    parser.add_argument("--child", nargs=2, metavar=("OUT", "REPS"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(Path(args.child[0]), int(args.child[1]), args.seed)
        return 0
    sizes = args.sizes or [10, 100, 1000] + ([10000] if args.full else [])
    print(f"{'reps':>7} {'wall s':>8} {'cpu s':>8} {'rows':>11} {'rows/s':>9} {'files':>7} {'peak RSS MB':>12}")
    with tempfile.TemporaryDirectory() as tmp:
        base = args.keep or Path(tmp)
        for reps in sizes:
            out = base / f"reps{reps}"
            proc = subprocess.run(
                [sys.executable, __file__, "--child", str(out), str(reps), "--seed", str(args.seed)],
                capture_output=True,
                text=True,
                check=False,
            )
            if proc.returncode != 0:
                print(proc.stderr, file=sys.stderr)
                return proc.returncode
            m = json.loads(proc.stdout.strip().splitlines()[-1])
            print(
                f"{m['reps']:>7} {m['wall_s']:>8.1f} {m['cpu_s']:>8.1f} {m['rows']:>11,} "
                f"{m['rows'] / m['wall_s']:>9,.0f} {m['files']:>7,} {m['peak_rss_mb']:>12.0f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
