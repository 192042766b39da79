"""Life plans of opportunities and leads, drawn once when they are created.

A plan is the list of timed snapshots the record will go through (stage,
amount, close date), so its fate (won or lost, close date, final amount) is
known from the start: forecasts and commissions can be computed from it.
"""

from __future__ import annotations

import math
import random

from simco.params import (
    CYCLE_SIGMA,
    LOST,
    LOST_CYCLE_FACTOR,
    N_OPEN,
    P_AMOUNT_CHANGE,
    P_BACKWARDS,
    P_CLOSE_DISCOUNT,
    P_SKIP_STAGE,
    WON,
    Segment,
)
from simco.timeutil import DAY, next_weekday

# Opportunity step kinds.
STEP = 0  # a new version and an opportunity_history row
DELETE = 1  # is_deleted = true (history and splits are deleted with it)
REVERSE = 2  # a won deal goes back to Closed Lost

# Lead step kinds.
L_TOUCH, L_MEETING, L_MQL, L_SQL, L_CONVERT, L_CLOSE, L_DELETE = range(7)

_LOST_AT = (30, 20, 15, 12, 8, 6, 5, 4)  # weights of the furthest open stage of a lost deal


def round_amount(x: float) -> int:
    return max(500, int(round(x / 100.0)) * 100)


def lognormal_mean(rng: random.Random, mean: float, sigma: float) -> float:
    return rng.lognormvariate(math.log(mean) - sigma * sigma / 2, sigma)


def draw_amount(rng: random.Random, seg: Segment, factor: float, usd_per_unit: float) -> int:
    """An amount in the deal currency (whole hundreds)."""
    usd = rng.lognormvariate(math.log(seg.amount_median_usd * factor), seg.amount_sigma)
    return round_amount(usd / usd_per_unit)


def stage_path(rng: random.Random, won: bool) -> list[int]:
    """Stage indices a deal goes through, ending in Closed Won or Closed Lost."""
    start = 0 if rng.random() < 0.75 else 1
    if won:
        top = N_OPEN - 1
    else:
        top = max(start, rng.choices(range(N_OPEN), weights=_LOST_AT)[0])
    seq = [start]
    for k in range(start + 1, top + 1):
        if k < top and rng.random() < P_SKIP_STAGE:
            continue  # skipped stage: still counts as passed
        seq.append(k)
    if len(seq) >= 3 and rng.random() < P_BACKWARDS:
        i = rng.randrange(2, len(seq))
        back = max(0, seq[i] - rng.randint(1, 2))
        seq = seq[: i + 1] + [back, seq[i]] + seq[i + 1 :]
    seq.append(WON if won else LOST)
    return seq


def _between(rng: random.Random, lo_ts: int, hi_ts: int, hours: tuple[int, int]) -> int:
    """A business-hours time strictly inside (lo_ts, hi_ts) when there is room."""
    lo_day, hi_day = lo_ts // DAY, hi_ts // DAY
    day = rng.randint(lo_day, hi_day)
    ts = day * DAY + rng.randint(hours[0], hours[1])
    return min(max(ts, lo_ts + 60), hi_ts - 60)


def plan_opportunity(
    rng: random.Random,
    seg: Segment,
    created_ts: int,
    hours: tuple[int, int],
    amount: int,
    won: bool,
    deleted: bool,
) -> tuple[list[tuple[int, int, int, int, int]], int | None, int]:
    """Steps (ts, kind, stage, amount, close_day), close ts (None if deleted), cycle days."""
    mean = seg.cycle_mean_days * (1.0 if won else LOST_CYCLE_FACTOR)
    days = max(3, int(round(lognormal_mean(rng, mean, CYCLE_SIGMA))))
    c_day = created_ts // DAY
    z_day = next_weekday(c_day + days)
    close_ts = max(z_day * DAY + rng.randint(hours[0], hours[1]), created_ts + 3 * DAY)
    seq = stage_path(rng, won)
    events: list[tuple[int, int, int]] = []  # (ts, what, value): 0 stage, 1 close date, 2 amount
    for st in seq[1:-1]:
        events.append((_between(rng, created_ts, close_ts, hours), 0, st))
    events.sort()  # stage moves keep their order in time
    # re-pair: the sorted times take the stages in path order
    times = [e[0] for e in events]
    events = [(t, 0, st) for t, st in zip(times, seq[1:-1])]
    expected = c_day + max(7, int(round(days * rng.uniform(0.55, 1.15))))
    first_close = expected
    slips = 0
    while expected < z_day - 2 and slips < 4:
        slip_day = max(expected - rng.randint(0, 3), c_day + 1)
        ts = slip_day * DAY + rng.randint(hours[0], hours[1])
        if ts >= close_ts - 60:
            break
        expected = min(expected + rng.randint(14, 45), z_day + rng.randint(0, 20))
        events.append((ts, 1, expected))
        slips += 1
    if rng.random() < P_AMOUNT_CHANGE:
        events.append((_between(rng, created_ts, close_ts, hours), 2, round_amount(amount * rng.uniform(0.75, 1.25))))
    events.sort(key=lambda e: e[0])
    steps = [(created_ts, STEP, seq[0], amount, first_close)]
    stage, amt, cd, last = seq[0], amount, first_close, created_ts
    for ts, what, v in events:
        ts = max(ts, last + 1)
        if what == 0:
            stage = v
        elif what == 1:
            cd = v
        else:
            amt = v
        steps.append((ts, STEP, stage, amt, cd))
        last = ts
    if won and rng.random() < P_CLOSE_DISCOUNT:
        amt = round_amount(amt * rng.uniform(0.85, 0.98))
    close_ts = max(close_ts, last + 1)
    steps.append((close_ts, STEP, seq[-1], amt, z_day))
    if deleted:
        del_ts = created_ts + rng.randint(1, max(1, min(20, days - 1))) * DAY + rng.randint(0, 3600)
        kept = [s for s in steps if s[0] < del_ts]
        last_step = kept[-1]
        kept.append((del_ts, DELETE, last_step[2], last_step[3], last_step[4]))
        return kept, None, days
    return steps, close_ts, days


def plan_lead(
    rng: random.Random, created_ts: int, hours: tuple[int, int], source: str
) -> tuple[list[tuple[int, int]], int | None]:
    """Steps (ts, kind) of a lead and its conversion time (None: never converted)."""
    c = created_ts
    steps: list[tuple[int, int]] = []
    first_touch = None
    if rng.random() < 0.88:
        hours_to_touch = min(rng.lognormvariate(math.log(3.0), 1.2), 14 * 24.0)
        first_touch = c + 60 + int(hours_to_touch * 3600)
        steps.append((first_touch, L_TOUCH))
        t = first_touch
        for _ in range(rng.randint(0, 3)):
            t += rng.randint(1, 5) * DAY + rng.randint(-3600, 3600)
            steps.append((t, L_TOUCH))
    mql = None
    if rng.random() < 0.45:
        instant = source == "Web" and rng.random() < 0.5
        mql = c + (60 if instant else rng.randint(3600, 5 * DAY))
        steps.append((mql, L_MQL))
    conv = None
    end = None
    if mql is not None and first_touch is not None and rng.random() < 0.40:
        sql = max(mql, first_touch) + rng.randint(1, 10) * DAY
        steps.append((sql - rng.randint(3600, DAY), L_MEETING))
        steps.append((sql, L_SQL))
        if rng.random() < 0.75:
            conv = sql + rng.randint(0, 4) * DAY + rng.randint(600, 6 * 3600)
            end = (conv, L_CONVERT)
        else:
            end = (sql + rng.randint(5, 20) * DAY, L_CLOSE)
    elif first_touch is not None or rng.random() < 0.5:
        end = (c + rng.randint(14, 60) * DAY + rng.randint(0, 3600), L_CLOSE)
    if conv is None and rng.random() < 0.005:
        end = (c + rng.randint(1, 10) * DAY, L_DELETE)
    if end is not None:
        steps = [s for s in steps if s[0] < end[0]]
        steps.append(end)
    steps.sort()
    out: list[tuple[int, int]] = []
    last = c
    for ts, kind in steps:
        ts = max(ts, last + 1)
        out.append((ts, kind))
        last = ts
    if conv is not None:
        conv = out[-1][0]
    return out, conv
