"""Forecast actuals per METRICS.md and the weekly forecast submissions."""

from __future__ import annotations

import random
from decimal import Decimal

from simco.comp import ZERO
from simco.crm import _close_step, _credit_split
from simco.model import Employee
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


class ForecastMixin:
    """Part of `Simulation` (see simco.sim); reads and writes its state."""

    def _plan_forecast_actuals(self, q0: int, q1: int) -> None:
        self.fc_actual = {k: v for k, v in self.fc_actual.items() if k[2] >= q0}  # past periods are done
        credited: dict[tuple[str, str, int], Decimal] = {}
        for opp in self.open_opps.values():
            if not opp.won_planned or not (q0 <= opp.close_day <= q1):
                continue
            if opp.reversal is not None and opp.reversal[0] // DAY <= self.end:
                continue  # the files show it un-won (a reversal after `end` never lands)
            usd = Decimal(_close_step(opp)[3]) * self.fx.rate(opp.currency, opp.close_day)
            ms = month_start(opp.close_day)
            for u, pct in _credit_split(opp.planned_owner, opp.planned_splits):
                emp = self.emp_by_user[u]
                c = usd * pct / 100
                for key in ((emp.id, "month", ms), (emp.id, "quarter", q0)):
                    credited[key] = credited.get(key, ZERO) + c
        periods = [("month", m) for m in months_in(q0, "quarter")] + [("quarter", q0)]
        for ptype, ps in periods:
            pe = period_end(ps, ptype)
            totals: dict[str, Decimal] = {}
            for emp in self.employees.values():
                c = credited.get((emp.id, ptype, ps))
                if c is None:
                    continue
                totals[emp.id] = totals.get(emp.id, ZERO) + c
                if emp.active(pe):
                    anchor = pe
                elif emp.term is not None and ps <= emp.term < pe:
                    anchor = emp.term
                else:
                    continue
                for boss in self._ancestors(emp, anchor):
                    totals[boss] = totals.get(boss, ZERO) + c
            for eid, v in totals.items():
                self.fc_actual[(eid, ptype, ps)] = v

    def _ancestors(self, emp: Employee, day: int) -> list[str]:
        out = []
        seen = {emp.id}
        j = emp.job_at(day)
        while j is not None and j.mgr and j.mgr not in seen:
            out.append(j.mgr)
            seen.add(j.mgr)
            boss = self.employees.get(j.mgr)
            j = boss.job_at(day) if boss is not None else None
        return out

    def _forecasts(self, day: int) -> None:
        r = self.r_fc
        for emp in self.employees.values():
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
                self.truth.on_forecast(emp, ptype, ps, day, commit, actual)
