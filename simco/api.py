"""The generator's entry point."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

from simco.landing import SOURCES

GROUND_TRUTH = "_ground_truth.json"
# The generator's defaults, for every way of calling it (generate(), salesops generate,
# python -m simco).
DEFAULTS = {"reps": 40, "start": date(2025, 1, 1), "end": date(2025, 12, 31), "seed": 42, "rehires": 1}


def generate(
    out: Path,
    *,
    reps: int = DEFAULTS["reps"],
    start: date = DEFAULTS["start"],
    end: date = DEFAULTS["end"],
    seed: int = DEFAULTS["seed"],
    rehires: int = DEFAULTS["rehires"],
) -> Path:
    """Write the landing folders of a simulated sales organisation to `out`.

    Returns the path of the ground-truth JSON written beside them. Earlier
    output of the generator in `out` (the source folders and the ground truth)
    is replaced; nothing else in `out` is touched.
    """
    from simco.sim import Simulation

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for source in SOURCES:
        if (out / source).exists():
            shutil.rmtree(out / source)
    sim = Simulation(out, reps, start, end, seed, rehires)
    sim.run()
    path = out / GROUND_TRUTH
    sim.truth.write(path)
    return path
