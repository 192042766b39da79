"""What the generator knows about the data it wrote: the ground truth file."""

from __future__ import annotations

import json
from collections import Counter
from decimal import Decimal
from typing import TYPE_CHECKING

from simco.comp import cents
from simco.params import SEGMENT, SEGMENTS
from simco.timeutil import add_months, iso_date, month_end, month_start

if TYPE_CHECKING:
    from simco.sim import Simulation


def _money(x: Decimal) -> str:
    return f"{cents(x):.2f}"


class Truth:
    def __init__(self, sim: Simulation) -> None:
        self.sim = sim
        self.hr_seen: dict[str, tuple] = {}
        self.won: Counter = Counter()
        self.lost: Counter = Counter()
        self.cycle: dict[str, Counter] = {s: Counter() for s in SEGMENTS}
        self.reversed: list[dict] = []
        self.deleted: list[dict] = []
        self.promotions: list[dict] = []
        self.hires: list[dict] = []
        self.rehires: list[dict] = []
        self.notes: list[str] = []
        self.bias: dict[str, float] = {}
        self.last_commit: dict[tuple[str, str, int], tuple[float, float]] = {}
        self.reconciliation: list[dict] = []
        self.errors: list[dict] = []
        self.pending: list[dict] = []

    # events -------------------------------------------------------------
    def _in_span(self, day: int) -> bool:
        return self.sim.start <= day <= self.sim.end

    def on_close(self, opp, won: bool) -> None:
        if not self._in_span(opp.close_date):
            return
        if won:
            self.won[opp.seg] += 1
            self.cycle[opp.seg][opp.close_date - opp.created // 86400] += 1
        else:
            self.lost[opp.seg] += 1

    def on_reversal(self, opp, kind: str) -> None:
        if self._in_span(opp.close_date):
            self.won[opp.seg] -= 1
            self.cycle[opp.seg][opp.close_date - opp.created // 86400] -= 1
            if kind == "closed_lost":
                self.lost[opp.seg] += 1
        sim = self.sim
        self.reversed.append(
            {
                "opportunity_id": opp.id,
                "kind": kind,
                "close_date": iso_date(opp.close_date),
                "reversed_on": iso_date(sim.today),
                "days_after_close": sim.today - opp.close_date,
                "amount": f"{opp.amount}.00",
                "currency": opp.currency,
                "owner_id": sim.crm_user_of.get(opp.owner, opp.owner),
                "clawbacks": [],
            }
        )

    def on_forecast(self, emp, ptype: str, ps: int, day: int, commit: float, actual: float, reversed_) -> None:
        """`actual`: of the deals that stay won; `reversed_`: [(reversal day, USD)] of those won
        in the period and reversed later, won in the files until the reversal lands."""
        self.bias[self.sim.crm_user_of.get(emp.user, emp.user)] = round(emp.bias, 4)
        self.last_commit[(emp.user, ptype, ps)] = (commit, actual, tuple(reversed_))

    def on_payout(self, emp, plan, ptype, ps, close_day, paid, res, rows, paid_usd, ids, error, slot) -> None:
        # the files hold the payout when it is paid by `end`; an error planted in a later one
        # is not in them yet
        written = paid <= self.sim.end
        if not written:
            error = None
        entry = {
            "employee_id": emp.id,
            "plan_id": plan.plan_id,
            "period_type": ptype,
            "period_start": iso_date(ps),
            "closes_on": iso_date(close_day),
            "paid_date": iso_date(paid),
            "payout_written": written,
            "quota": _money(res.quota),
            "credited_bookings": _money(res.credited),
            "deals": res.n_deals,
            "commission": _money(res.commission),
            "spif": _money(res.spif),
            "cap_adjustment": _money(res.cap_adjustment),
            "clawback": _money(res.clawback),
            "computed": _money(res.computed),
            "payout_currency": plan.currency,
            "paid": _money(paid_usd) if written else None,
            "status": "no_quota" if res.no_quota else ("matched" if error is None else error),
        }
        self.reconciliation.append(entry)
        if not written:
            self.pending.append(
                {
                    "employee_id": emp.id,
                    "period_type": ptype,
                    "period_start": iso_date(ps),
                    "paid_date": iso_date(paid),
                    "computed": _money(res.computed),
                }
            )
        if error is not None:
            self.errors.append(
                {
                    "kind": error,
                    "employee_id": emp.id,
                    "period_type": ptype,
                    "period_start": iso_date(ps),
                    "payout_ids": ids,
                    "currency": plan.currency,
                    "paid_date": iso_date(paid),
                    "expected": _money(res.computed),
                    "paid": _money(paid_usd),
                    "expected_in_currency": f"{cents(res.computed / self.sim.fx.rate(plan.currency, paid)):.2f}",
                    "paid_in_currency": [f"{a:.2f}" for a in rows],
                    "clawback_opportunities": list(slot["claws"]) if error == "clawback_not_applied" else [],
                }
            )

    # output ----------------------------------------------------------------
    def turnover(self) -> list[dict]:
        sim = self.sim
        out = []
        m = month_start(sim.start)
        while m <= sim.end:
            first, last = m, month_end(m)
            row = dict.fromkeys(
                (
                    "opening_headcount",
                    "closing_headcount",
                    "hires",
                    "separations",
                    "voluntary",
                    "involuntary",
                    "regretted",
                    "early_attrition",
                ),
                0,
            )
            for hire, term, ttype, regretted in self.hr_seen.values():
                if hire < first and (term is None or term >= first):
                    row["opening_headcount"] += 1
                if hire <= last and (term is None or term > last):
                    row["closing_headcount"] += 1
                if first <= hire <= last:
                    row["hires"] += 1
                if term is not None and first <= term <= last:
                    row["separations"] += 1
                    row[ttype] += 1
                    row["regretted"] += int(regretted)
                    row["early_attrition"] += int(term - hire < 180)
            row["month"] = iso_date(first)[:7]
            out.append(row)
            m = add_months(m, 1)
        return out

    def finish(self) -> dict:
        sim = self.sim
        win = {}
        cyc = {}
        for seg in SEGMENTS:
            w, lo = self.won[seg], self.lost[seg]
            win[seg] = {
                "true_win_probability": SEGMENT[seg].win_probability,
                "won": w,
                "lost": lo,
                "realized_win_rate": round(w / (w + lo), 4) if w + lo else None,
            }
            days = sorted(d for d, n in self.cycle[seg].items() for _ in range(n))
            cyc[seg] = {
                "true_mean_days": SEGMENT[seg].cycle_mean_days,
                "won_deals": len(days),
                "realized_mean_days": round(sum(days) / len(days), 2) if days else None,
                "realized_median_days": (
                    days[len(days) // 2] if len(days) % 2 else (days[len(days) // 2 - 1] + days[len(days) // 2]) / 2
                )
                if days
                else None,
            }
        realized: dict[str, dict] = {}
        sums: dict[str, list[float]] = {}
        for (user, _ptype, ps), (commit, actual, reversed_) in self.last_commit.items():
            actual += float(sum(usd for day, usd in reversed_ if day > sim.end))  # still won by `end`
            if sim.end < ps or actual <= 0:
                continue
            s = sums.setdefault(user, [0.0, 0.0, 0])
            s[0] += commit
            s[1] += actual
            s[2] += 1
        for user, (c, a, n) in sums.items():
            realized[user] = {"periods": n, "last_commit_over_actual_minus_1": round(c / a - 1, 4)}
        return {
            "params": {
                "seed": sim.seed,
                "reps": sim.reps,
                "start": iso_date(sim.start),
                "end": iso_date(sim.end),
                "warmup_start": iso_date(sim.W),
                "reporting_currency": "USD",
            },
            "win_rate_by_segment": win,
            "cycle_days_by_segment": cyc,
            "forecaster_bias": dict(sorted(self.bias.items())),
            "forecast_realized_bias": dict(sorted(realized.items())),
            "turnover": self.turnover(),
            "payout_errors": self.errors,
            "commission_reconciliation": self.reconciliation,
            "pending_payouts": self.pending,
            "reconciliation_scope": {
                "closes_on_or_after": iso_date(sim.start),
                "why": "plan periods that closed before the first landing day live only in its full extract",
            },
            "reversed_deals": self.reversed,
            "deleted_opportunities": self.deleted,
            "closed_periods": [
                {
                    "period_start": iso_date(ps),
                    "period_type": pt,
                    "closed_on": iso_date(co),
                    "landed_on": iso_date(max(sim.W, land)),
                    "effective": eff,
                }
                for ps, pt, co, land, eff in sim.payroll.closed_rows
                if max(sim.W, land) <= sim.end
            ],
            "spifs": [
                {
                    "spif_id": s[0],
                    "start_date": iso_date(s[2]),
                    "end_date": iso_date(s[3]),
                    "opportunity_type": s[4],
                    "amount_per_deal": f"{s[5]:.2f}",
                    "currency": s[6],
                }
                for s in sim.payroll.spifs
            ],
            # planned with their quarter; listed once their day is in the files (by `end`)
            "rehires": [r for r in self.rehires if r["rehired"]["hire_date"] <= iso_date(sim.end)],
            "events": {
                "promotions": [p for p in self.promotions if p["effective_date"] <= iso_date(sim.end)],
                "hires": sum(1 for h in self.hires if h["hire_date"] <= iso_date(sim.end)),
                "counters_in_span": {
                    k: sum(1 for kind, day in sim.counted if kind == k and day <= sim.end) for k in sim.counters
                },
            },
            "counts": dict(sorted(sim.land.counts.items())),
            "notes": self.notes,
        }

    def write(self, path) -> None:
        with open(path, "w", encoding="utf-8", newline="\n") as fh:
            json.dump(self.finish(), fh, sort_keys=True, indent=2)
            fh.write("\n")
