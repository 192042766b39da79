"""Quotas, plan periods and their close, payouts and the planted payroll errors.

A part of the simulation with its inputs named: the span, the comp random stream, FX and
the ground truth at construction; the employees (and territories, for quotas) as arguments.
It keeps the commission ledger the CRM part writes to (credit and clawback), and its rows
go out through `emit` (now) and `emit_at` (at a later time of the agenda).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date
from decimal import Decimal

from simco.comp import ZERO, Piece, cents, compute_period, ramped_quota
from simco.fx import Fx
from simco.model import Employee, Opp, Territory
from simco.params import AM_QUOTA_MONTH, AM_QUOTA_QUARTER, PLANS, SDR_QUOTA_MONTH, SEGMENT
from simco.timeutil import (
    DAY,
    add_months,
    iso_date,
    month_end,
    month_start,
    next_weekday,
    period_end,
    quarter_end,
    quarter_start,
)


class Payroll:
    """Plan periods and their close, the commission ledger, quotas and payouts."""

    def __init__(
        self,
        *,
        start: int,
        horizon: int,
        warmup_start: int,
        reps: int,
        rng: random.Random,
        fx: Fx,
        emit: Callable,
        emit_at: Callable[[int, str, list[str]], None],
        truth,
    ) -> None:
        # horizon: the notional last day the planted cases are placed by (Simulation.horizon);
        # the part never reads the simulation's end, so a later --end changes no earlier row
        self.start, self.horizon, self.W, self.reps = start, horizon, warmup_start, reps
        self.r_comp, self.fx, self.emit, self.emit_at, self.truth = rng, fx, emit, emit_at, truth
        # The ledger: (period type, period start) -> employee id -> credited pieces and clawbacks
        self.acc: dict[tuple[str, int], dict[str, dict]] = {}
        # opportunity id -> [(employee id, commission paid on it, clawback window, close day)]
        self.claw_info: dict[str, list] = {}
        self.reversed_on: dict[str, int] = {}
        self.reversal_pending: dict[str, Opp] = {}
        self._payout_n = 0
        self._plan_closes()
        self._plan_spifs()
        self.n_errors = max(1, round(reps / 40))
        self.errors_left = {k: self.n_errors for k in ("missing", "duplicate", "wrong_rate", "clawback_not_applied")}

    def slot(self, ptype: str, ps: int, emp_id: str) -> dict:
        """The ledger entry of one employee's plan period."""
        return self.acc.setdefault((ptype, ps), {}).setdefault(emp_id, {"pieces": [], "clawback": ZERO, "claws": []})

    def _plan_closes(self) -> None:
        """The closed_period rows, planted in the horizon (the close day of each plan period
        is set as it opens, in open_periods).

        A closed_period row counts only when it is first seen (landed; rows landed
        before the first landing day are first seen on it) by the period's last day.
        """
        r = self.r_comp
        candidates = []  # (period_start, period_type or "", closed_on, land_day)
        q = (
            quarter_start(self.start)
            if quarter_start(self.start) == self.start
            else add_months(quarter_start(self.start), 3)
        )
        qe = quarter_end(q)
        if qe + 12 <= self.horizon:
            candidates.append((q, "quarter", next_weekday(qe + 5), qe - 2))
        months = []
        m = add_months(month_start(self.start), 1)
        while month_end(m) + 12 <= self.horizon:
            if m != quarter_start(m):
                months.append(m)
            m = add_months(m, 1)
        if months:
            m0 = months[0]
            candidates.append((m0, "month", next_weekday(month_end(m0) + 3), month_end(m0) - 1))
        if len(months) > 2:
            m1 = months[2]
            candidates.append((m1, "", next_weekday(month_end(m1) + 2), month_end(m1)))
        if len(months) > 4:
            m2 = months[r.randrange(3, len(months))]
            candidates.append((m2, "month", month_end(m2) + 5, month_end(m2) + 3))  # too late: no effect
        rows = []
        for ps, pt, closed_on, land in candidates:
            seen = max(land, self.start)
            last = min(period_end(ps, "month"), period_end(ps, "quarter")) if pt == "" else period_end(ps, pt)
            rows.append((ps, pt, closed_on, land, seen <= last))
        self.closed_rows = rows
        self.close_days: dict[int, list[tuple[str, int]]] = {}

    def open_periods(self, m: int) -> None:
        """Month `m` opens: the plan periods starting on it, and the day each closes (its last
        day, or a later closed_on of a closed_period row seen by then)."""
        for ptype in ("month", "quarter"):
            if ptype == "quarter" and m != quarter_start(m):
                continue
            last = period_end(m, ptype)
            close = last
            for ps, pt, closed_on, land, _ in self.closed_rows:
                if ps == m and pt in ("", ptype) and max(land, self.start) <= last:
                    close = max(close, closed_on)
            closing = self.close_days.setdefault(close, [])
            closing.append((ptype, m))
            closing.sort(key=lambda k: (k[0] == "quarter", k[1]))  # months first, as payroll runs

    def _plan_spifs(self) -> None:
        s, e, W = self.start, self.horizon, self.W
        mid_q = quarter_start(s + (e - s) // 2)
        spifs = [
            ("SPIF-001", "Q3 Kickoff", W + 14, W + 45, "New Business", Decimal("250.00"), "USD"),
            ("SPIF-002", "New Logo Blitz", s + 14, min(e, s + 75), "New Business", Decimal("500.00"), "USD"),
            ("SPIF-003", "Renewal Rush", add_months(mid_q, -1), min(e, mid_q - 1), "Renewal", Decimal("300.00"), "USD"),
            ("SPIF-004", "Summer Push", min(e, s + 180), min(e, s + 240), None, Decimal("400.00"), "EUR"),
        ]
        self.spifs = [sp for sp in spifs if sp[2] <= sp[3]]

    def _spif_usd(self, piece: Piece) -> Decimal:
        total = ZERO
        for _, _, lo, hi, otype, amount, cur in self.spifs:
            if lo <= piece.close_day <= hi and (otype is None or otype == piece.opp_type):
                total += amount * self.fx.rate(cur, piece.close_day)
        return total

    def month_quotas(self, m: int, employees: dict[str, Employee], territories: dict[str, Territory]) -> None:
        """The quota rows of month `m` of everyone employed on its first day."""
        for emp in employees.values():
            if emp.assigns and emp.hire <= m and (emp.term is None or emp.term >= m):
                self.quota_rows(emp, m, m, territories)

    def quota_rows(self, emp: Employee, day: int, land: int, territories: dict[str, Territory]) -> None:
        a = emp.assignment_at(day)
        if a is None:
            return
        plan = PLANS[a[0]]
        j = emp.job_at(day)
        ms, qs = month_start(day), quarter_start(day)
        year_growth = 1.05 ** (date.fromordinal(day).year - date.fromordinal(self.W).year)
        rows = []
        if plan.period_type == "month":
            rows.append(("month", ms, int(round(SDR_QUOTA_MONTH * emp.qfactor * year_growth / 100.0)) * 100))
        elif j.role == "AM":
            rows.append(("quarter", qs, int(round(AM_QUOTA_QUARTER * emp.qfactor * year_growth / 3000.0)) * 3000))
            rows.append(("month", ms, int(round(AM_QUOTA_MONTH * emp.qfactor * year_growth / 100.0)) * 100))
        else:
            terr = territories.get(j.territory)
            seg = SEGMENT[terr.segment if terr else "SMB"]
            rows.append(("quarter", qs, int(round(seg.quota_quarter_usd * emp.qfactor * year_growth / 3000.0)) * 3000))
        ts = land * DAY + 6 * 3600
        for ptype, ps, amount in rows:
            if (ptype, ps) in emp.quota_keys:
                continue
            emp.quota_keys.add((ptype, ps))
            emp.quotas.append((ptype, ps, Decimal(amount)))
            self.emit("quota", None, [emp.id, iso_date(ps), ptype, f"{amount}.00", "USD"], ts, True)

    def _plan_for_period(self, emp: Employee, ptype: str, ps: int):
        a = emp.assignment_at(ps)
        if a is None:
            pe = period_end(ps, ptype)
            over = [x for x in emp.assigns if x[1] <= pe and (x[2] is None or x[2] >= ps)]
            a = over[-1] if over else None
        return PLANS[a[0]] if a is not None else None

    def _ramp_of_month(self, emp: Employee):
        def ramp(m: int):
            p = self._plan_for_period(emp, "month", m)
            return p.ramp if p is not None else ()

        return ramp

    def _paid_date(self, ptype: str, ps: int, close: int) -> int:
        pe = period_end(ps, ptype)
        fifteenth = add_months(month_start(pe), 1) + 14
        return next_weekday(max(fifteenth, close + 5))

    def close_period(self, ptype: str, ps: int, close_day: int, employees: dict[str, Employee]) -> None:
        """Close a plan period: compute every credited employee's commission and pay it."""
        slots = self.acc.pop((ptype, ps), {})
        for emp_id, slot in slots.items():
            emp = employees[emp_id]
            plan = self._plan_for_period(emp, ptype, ps)
            if plan is None or plan.period_type != ptype:
                self.truth.notes.append(f"{emp_id} has no {ptype} plan for {iso_date(ps)}")
                continue
            pieces = [p for p in slot["pieces"] if self.reversed_on.get(p.opp_id, close_day + 1) > close_day]
            quota = ramped_quota(ptype, ps, emp.hire, emp.term, emp.quotas, self._ramp_of_month(emp))
            res = compute_period(pieces, quota, plan.tiers, plan.payout_cap, self._spif_usd, slot["clawback"])
            for opp_id, value in res.per_deal.items():
                if opp_id in self.reversal_pending:
                    self.claw_info.setdefault(opp_id, []).append(
                        (
                            emp_id,
                            value * res.pay_factor,
                            plan.clawback_days,
                            next(p.close_day for p in pieces if p.opp_id == opp_id),
                        )
                    )
            if res.computed == 0 and res.n_deals == 0:
                continue
            self._pay(emp, plan, ptype, ps, close_day, res, slot)

    def _pay(self, emp: Employee, plan, ptype: str, ps: int, close_day: int, res, slot: dict) -> None:
        paid = self._paid_date(ptype, ps, close_day)
        cur = plan.currency
        rate = self.fx.rate(cur, paid)
        expected_native = cents(res.computed / rate)
        rows: list[Decimal] = [expected_native] if res.computed != 0 else []
        error = None
        if close_day >= self.start and res.computed >= 500:  # inside the reconciliation scope
            error = self._pick_error(paid, slot["clawback"] > 50)
        if error == "missing":
            rows = []
        elif error == "duplicate":
            rows = [expected_native, expected_native]
        elif error == "wrong_rate":
            f = Decimal(str(round(self.r_comp.uniform(0.03, 0.06), 4)))
            rows = [cents(expected_native * (1 + (f if self.r_comp.random() < 0.5 else -f)))]
        elif error == "clawback_not_applied":
            rows = [cents((res.computed + slot["clawback"]) / rate)]
        ids = []
        for i, amount in enumerate(rows):
            self._payout_n += 1
            pid = f"PO-{self._payout_n:07d}"
            ids.append(pid)
            self.emit_at(
                paid * DAY + 12 * 3600 + i * 60,
                "commission_payout",
                [pid, emp.id, iso_date(ps), f"{amount:.2f}", cur, iso_date(paid)],
            )
        paid_usd = sum((a * rate for a in rows), ZERO)
        self.truth.on_payout(emp, plan, ptype, ps, close_day, paid, res, rows, paid_usd, ids, error, slot)

    def _pick_error(self, paid: int, has_clawback: bool) -> str | None:
        late = paid >= self.start + (self.horizon - self.start) * 2 // 3
        if has_clawback and self.errors_left["clawback_not_applied"] > 0:
            self.errors_left["clawback_not_applied"] -= 1  # clawbacks are rare: take the first ones
            return "clawback_not_applied"
        years = max(0.25, (self.horizon - self.start + 1) / 365.0)
        p = min(0.5, 1.5 * self.n_errors / (self.reps * 6.0 * years))
        for kind in ("missing", "duplicate", "wrong_rate"):
            if self.errors_left[kind] > 0 and (late or self.r_comp.random() < p):
                self.errors_left[kind] -= 1
                return kind
        return None
