"""Constants and small helpers shared by the parts of the simulation."""

from __future__ import annotations

import math
import random

B = ("false", "true")
L_CREATE = 99
# Sales-ops bookkeeping (reassignments, users, account owners) happens just after
# midnight UTC, before any region's business hours (APAC starts at 01:00 UTC).
BOOKKEEPING = 300
QUOTA_ROLES = ("AE", "AM", "SDR", "BDR")
SELLER_ROLES = ("AE", "AM")
FORECASTER_ROLES = ("AE", "AM", "Manager")
_CUR_SALARY = {"USD": 1.0, "EUR": 0.92, "GBP": 0.79}


def apportion(total: int, weights: tuple[float, ...]) -> list[int]:
    """Split `total` into integers proportional to `weights` (largest remainder)."""
    s = sum(weights)
    raw = [total * w / s for w in weights]
    base = [int(x) for x in raw]
    order = sorted(range(len(raw)), key=lambda i: (-(raw[i] - base[i]), i))
    for i in order[: total - sum(base)]:
        base[i] += 1
    return base


def poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, int(round(rng.gauss(lam, math.sqrt(lam)))))
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1
