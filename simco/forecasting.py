"""Forecast actuals per METRICS.md and the weekly forecast submissions.

A part of the simulation with its inputs named: the organisation (employees, and who a CRM
user is) and the quarter's planned opportunities come in as arguments; the actuals it
plans stay here; the forecast_submission rows go out through `emit`, and each commit to the
ground truth.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from decimal import Decimal

from simco.comp import ZERO
from simco.crm import _close_step, _credit_split
from simco.fx import Fx
from simco.ids import IdFactory
from simco.model import Employee, Opp
from simco.simbase import FORECASTER_ROLES
from simco.timeutil import (
    DAY,
    iso_date,
    iso_ts,
    month_start,
    months_in,
    next_monday,
    period_end,
    period_start,
)


class Forecasts:
    """Every forecaster's actual per period (planned with the quarter) and their weekly
    commit and best case."""

    def __init__(
        self,
        *,
        seed: int,
        rng: random.Random,
        ids: IdFactory,
        fx: Fx,
        emit: Callable,
        business_time: Callable[[random.Random, int, str], int],
        truth,
    ) -> None:
        self.seed, self.r_fc, self.id_fc, self.fx = seed, rng, ids, fx
        self.emit, self._biz, self.truth = emit, business_time, truth
        # (employee id, period type, period start) -> actual (USD): own credited bookings and
        # those of everyone below in the HR tree (METRICS.md), of the deals that stay won
        self.fc_actual: dict[tuple[str, str, int], Decimal] = {}
        # the same key -> [(reversal day, USD)] of the deals won in the period and reversed
        # later: the files show them won until the reversal lands (the ground truth's actual
        # as of its end adds those reversed after it)
        self.fc_reversed: dict[tuple[str, str, int], list[tuple[int, Decimal]]] = {}

    def plan_actuals(
        self, q0: int, q1: int, open_opps: dict[str, Opp], employees: dict[str, Employee],
        emp_by_user: dict[str, Employee],
    ) -> None:
        """The actuals of quarter [q0, q1] and its months, from the opportunities planned to
        be won in it. A planned reversal is known here, whatever day the files end on: the
        submissions never depend on how far the simulation runs."""
        # past periods are done
        self.fc_actual = {k: v for k, v in self.fc_actual.items() if k[2] >= q0}
        self.fc_reversed = {k: v for k, v in self.fc_reversed.items() if k[2] >= q0}
        credited: dict[tuple[str, str, int], Decimal] = {}
        reversed_: dict[tuple[str, str, int], list[tuple[int, Decimal]]] = {}
        for opp in open_opps.values():
            if not opp.won_planned or not (q0 <= opp.close_day <= q1):
                continue
            usd = Decimal(_close_step(opp)[3]) * self.fx.rate(opp.currency, opp.close_day)
            ms = month_start(opp.close_day)
            for u, pct in _credit_split(opp.planned_owner, opp.planned_splits):
                emp = emp_by_user[u]
                c = usd * pct / 100
                for key in ((emp.id, "month", ms), (emp.id, "quarter", q0)):
                    if opp.reversal is None:
                        credited[key] = credited.get(key, ZERO) + c
                    else:
                        reversed_.setdefault(key, []).append((opp.reversal[0] // DAY, c))
        periods = [("month", m) for m in months_in(q0, "quarter")] + [("quarter", q0)]
        for ptype, ps in periods:
            pe = period_end(ps, ptype)
            for emp in employees.values():
                key = (emp.id, ptype, ps)
                if key not in credited and key not in reversed_:
                    continue
                if emp.active(pe):
                    anchor = pe
                elif emp.term is not None and ps <= emp.term < pe:
                    anchor = emp.term
                else:
                    anchor = None
                bosses = _ancestors(emp, anchor, employees) if anchor is not None else []
                for eid in [emp.id, *bosses]:
                    to = (eid, ptype, ps)
                    if key in credited:
                        self.fc_actual[to] = self.fc_actual.get(to, ZERO) + credited[key]
                    if key in reversed_:
                        self.fc_reversed.setdefault(to, []).extend(reversed_[key])

    def submit(self, day: int, employees: dict[str, Employee]) -> None:
        """Monday `day`: every forecaster's commit and best case for the current month and
        quarter."""
        r = self.r_fc
        for emp in employees.values():
            role = emp.role_at(day)
            if role not in FORECASTER_ROLES:
                continue
            if emp.bias is None:
                emp.bias = max(-0.45, min(0.45, random.Random(f"{self.seed}:bias:{emp.id}").gauss(0.0, 0.15)))
            ts = self._biz(r, day, emp.region)
            for ptype in ("month", "quarter"):
                ps = period_start(day, ptype)
                pe = period_end(ps, ptype)
                first = next_monday(ps)
                n_weeks = (pe - first) // 7 + 1
                w = (day - first) // 7 + 1
                progress = (w - 1) / max(1, n_weeks - 1)
                actual = float(self.fc_actual.get((emp.id, ptype, ps), ZERO))
                sigma = 0.25 * (1 - progress) + 0.02
                commit = max(0.0, (1 + emp.bias) * actual * (1 + r.gauss(0.0, sigma)))
                best = commit * (1.15 + 0.3 * (1 - progress)) + actual * 0.05
                for cat, amount in (("commit", commit), ("best_case", best)):
                    fid = self.id_fc.next()
                    self.emit(
                        "forecast_submission",
                        fid,
                        [
                            fid,
                            emp.user,
                            iso_date(ps),
                            ptype,
                            iso_ts(ts),
                            cat,
                            f"{int(round(amount / 100.0)) * 100}.00",
                            "USD",
                        ],
                        ts,
                        True,
                    )
                self.truth.on_forecast(emp, ptype, ps, day, commit, actual, self.fc_reversed.get((emp.id, ptype, ps), ()))


def _ancestors(emp: Employee, day: int, employees: dict[str, Employee]) -> list[str]:
    """Everyone above `emp` in the HR tree on `day`, nearest first."""
    out = []
    seen = {emp.id}
    j = emp.job_at(day)
    while j is not None and j.mgr and j.mgr not in seen:
        out.append(j.mgr)
        seen.add(j.mgr)
        boss = employees.get(j.mgr)
        j = boss.job_at(day) if boss is not None else None
    return out
