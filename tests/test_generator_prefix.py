"""The generator is prefix-stable (issue 11): the same company (same seed and arguments) generated
with a later --end writes byte-identical files for every day up to the earlier end, so "the same
company, one day later" exists to test daily builds against.

A small company (6 reps, a quarter and a half of landing days) at four ends: a Thursday mid-March,
the day after it, the first day of the next quarter (the quarter is planned on that day: hires,
terminations, leads, opportunities, reversals) and a month after the first end (a month close and
its payouts in between). Every pair of runs is compared.
"""

from __future__ import annotations

import filecmp
import json
from datetime import date
from itertools import combinations
from pathlib import Path

import pytest

from simco import generate

START = date(2025, 1, 1)
ENDS = (date(2025, 3, 13), date(2025, 3, 14), date(2025, 4, 1), date(2025, 4, 13))
SOURCES = ("crm", "hr", "comp")
PAIRS = list(combinations(ENDS, 2))


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[date, tuple[Path, dict]]:
    out = {}
    for end in ENDS:
        root = tmp_path_factory.mktemp(f"end-{end}")
        truth = generate(root, reps=6, start=START, end=end, seed=7)
        out[end] = (root, json.loads(truth.read_text()))
    return out


def _days(root: Path) -> dict[str, set[str]]:
    """source/day folder -> the file names in it (a quiet CRM day is an empty folder)."""
    return {
        f"{source}/{day.name}": {f.name for f in day.iterdir()}
        for source in SOURCES
        for day in (root / source).iterdir()
    }


@pytest.mark.parametrize(("short", "long"), PAIRS, ids=[f"{a}-vs-{b}" for a, b in PAIRS])
def test_a_later_end_keeps_every_earlier_day_byte_identical(runs, short, long):
    (a, _), (b, _) = runs[short], runs[long]
    days_a, days_b = _days(a), _days(b)
    assert all(d.split("/")[1] <= short.isoformat() for d in days_a)
    earlier_b = {d: files for d, files in days_b.items() if d.split("/")[1] <= short.isoformat()}
    # the same day folders with the same files ...
    assert earlier_b == days_a
    files = sorted(f"{d}/{name}" for d, names in days_a.items() for name in names)
    assert len(files) > 100
    # ... byte for byte
    _, mismatch, errors = filecmp.cmpfiles(a, b, files, shallow=False)
    assert mismatch == [] and errors == []
    # and the later run goes on: a CRM folder every later day, and rows in them
    later = {d for d in days_b if d.split("/")[1] > short.isoformat()}
    assert {d for d in later if d.startswith("crm/")} == {
        f"crm/{date.fromordinal(n).isoformat()}" for n in range(short.toordinal() + 1, long.toordinal() + 1)
    }
    assert any(days_b[d] for d in later)


def _upto(rows: list[dict], field: str, end: date) -> list[dict]:
    return [r for r in rows if r[field] <= end.isoformat()]


def _without(row: dict, keys: tuple[str, ...]) -> dict:
    return {k: v for k, v in row.items() if k not in keys}


@pytest.mark.parametrize(("short", "long"), PAIRS, ids=[f"{a}-vs-{b}" for a, b in PAIRS])
def test_the_ground_truth_of_the_earlier_days_agrees(runs, short, long):
    """Facts of the ground truth that belong to a day agree for the days both runs hold. The
    aggregates "as of end" legitimately move with the end and are not compared: win rates and
    cycle days (over the deals closed by end), forecast_realized_bias (over the periods started
    by end, with the reversals landed by then), counters_in_span, counts (rows written), and a
    payout's written/paid/status (paid after the earlier end: pending there, written in the later
    run)."""
    (_, ga), (_, gb) = runs[short], runs[long]
    assert _without(ga["params"], ("end",)) == _without(gb["params"], ("end",))
    # months complete by the earlier end
    months = [r for r in ga["turnover"] if date.fromisoformat(r["month"] + "-01").month < short.month]
    assert months and months == gb["turnover"][: len(months)]
    assert ga["reversed_deals"] == _upto(gb["reversed_deals"], "reversed_on", short)
    assert ga["deleted_opportunities"] == _upto(gb["deleted_opportunities"], "deleted_on", short)
    assert ga["payout_errors"] == _upto(gb["payout_errors"], "paid_date", short)
    assert ga["closed_periods"] == _upto(gb["closed_periods"], "landed_on", short)
    assert ga["spifs"] == gb["spifs"]
    assert ga["rehires"] == [r for r in gb["rehires"] if r["rehired"]["hire_date"] <= short.isoformat()]
    assert ga["events"]["promotions"] == _upto(gb["events"]["promotions"], "effective_date", short)
    assert ga["events"]["hires"] <= gb["events"]["hires"]
    assert ga["forecaster_bias"].items() <= gb["forecaster_bias"].items()
    # plan periods closed by the earlier end: the same computation; the payout as of each end
    recon_a = ga["commission_reconciliation"]
    recon_b = _upto(gb["commission_reconciliation"], "closes_on", short)
    assert recon_a, "no plan period closed by the earlier end"
    as_of_end = ("payout_written", "paid", "status")
    assert [_without(r, as_of_end) for r in recon_a] == [_without(r, as_of_end) for r in recon_b]
    for ra, rb in zip(recon_a, recon_b):
        if ra["paid_date"] <= short.isoformat():
            assert ra == rb
        else:
            assert not ra["payout_written"] and ra["paid"] is None
    assert all(gb["counts"][t] >= n for t, n in ga["counts"].items())
