"""The statement model: one rep's plan periods for a month, with their lines and totals.

Plain dataclasses over the rows of the commission marts (read.py fills them; render.py turns
them into CSV, HTML and PDF). Money stays Decimal throughout.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

# METRICS.md, Commissions, Reconciliation: "status matched when |variance| <= 0.01 in the
# reporting currency" (fct_commission_reconciliation: abs(variance) <= 0.01).
MATCH_TOLERANCE = Decimal("0.01")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")
PLAN_KINDS = {"month": "monthly plan", "quarter": "quarterly plan"}
# The order of a deal's lines on a statement.
LINE_ORDER = {"commission": 0, "spif": 1, "cap_adjustment": 2, "clawback": 3}


class StatementError(Exception):
    """The statements cannot be written (no publication, a bad period)."""


class NoCommissionData(StatementError):
    """The publication holds no commission data for the plan periods containing the month."""


def parse_month(text: str) -> date:
    """YYYY-MM -> the month's first day."""
    if not re.fullmatch(r"\d{4}-\d{2}", text or ""):
        raise StatementError(f"period must be YYYY-MM, not {text!r}")
    year, month = int(text[:4]), int(text[5:])
    if not 1 <= month <= 12:
        raise StatementError(f"period must be YYYY-MM, not {text!r}")
    return date(year, month, 1)


def month_label(day: date) -> str:
    """'June 2025'."""
    return f"{MONTHS[day.month - 1]} {day.year}"


def period_label(start: date, end: date | None) -> str:
    """The plan period in words: 'June 2025' (a month), 'April–June 2025' (a quarter),
    'November 2025–January 2026' (a quarter across a year end)."""
    if end is None:
        return f"period starting {start.isoformat()}"
    if (start.year, start.month) == (end.year, end.month):
        return month_label(start)
    if start.year == end.year:
        return f"{MONTHS[start.month - 1]}–{month_label(end)}"
    return f"{month_label(start)}–{month_label(end)}"


@dataclass
class PlanPeriod:
    """One plan period of one rep: its lines, tier portions, reconciliation and review list."""

    period_type: str | None
    period_start: date
    period_end: date | None
    lines: list[dict[str, Any]] = field(default_factory=list)
    tiers: list[dict[str, Any]] = field(default_factory=list)
    changes: list[dict[str, Any]] = field(default_factory=list)
    reconciliation: dict[str, Any] | None = None
    plan_name: str | None = None

    @property
    def lines_total(self) -> Decimal:
        return sum((line["amount"] for line in self.lines), Decimal("0.00"))

    @property
    def computed(self) -> Decimal:
        if self.reconciliation is not None:
            return self.reconciliation["computed_amount"]
        return self.lines_total

    @property
    def is_provisional(self) -> bool:
        return any(line["line_status"] == "provisional" for line in self.lines)

    @property
    def plan_id(self) -> str | None:
        if self.lines:
            return self.lines[0]["plan_id"]
        return (self.reconciliation or {}).get("plan_id")

    @property
    def label(self) -> str:
        return period_label(self.period_start, self.period_end)

    @property
    def plan_kind(self) -> str:
        return PLAN_KINDS.get(self.period_type or "", "plan")


@dataclass
class Statement:
    """One rep's statement for a month: every plan period of the rep containing it."""

    employee_id: str
    month: str
    periods: list[PlanPeriod]
    employee_name: str | None = None

    @property
    def period_title(self) -> str:
        """The plan periods the statement covers, e.g. 'April–June 2025'."""
        return " and ".join(p.label for p in self.periods)

    @property
    def computed(self) -> Decimal:
        return sum((p.computed for p in self.periods), Decimal("0.00"))

    @property
    def paid(self) -> Decimal:
        return sum(
            (p.reconciliation["paid_amount"] for p in self.periods if p.reconciliation),
            Decimal("0.00"),
        )

    @property
    def variance(self) -> Decimal:
        return sum(
            (p.reconciliation["variance"] for p in self.periods if p.reconciliation),
            Decimal("0.00"),
        )

    @property
    def status(self) -> str:
        statuses = sorted({p.reconciliation["status"] for p in self.periods if p.reconciliation})
        if not statuses:
            return "provisional" if any(p.is_provisional for p in self.periods) else "not reconciled"
        return ", ".join(statuses)


def statements_from_rows(
    month: date,
    lines: list[dict[str, Any]],
    reconciliation: list[dict[str, Any]],
    tiers: list[dict[str, Any]],
    changes: list[dict[str, Any]],
    plan_names: list[dict[str, Any]],
    rep_names: dict[str, str],
) -> list[Statement]:
    """Group the marts' rows into one Statement per rep, its plan periods in order and each
    period's deal lines in the order deals fill the tiers."""
    periods: dict[tuple[str, date], PlanPeriod] = {}

    def period_of(row: dict[str, Any]) -> PlanPeriod:
        key = (row["employee_id"], row["period_start"])
        if key not in periods:
            periods[key] = PlanPeriod(row.get("period_type"), row["period_start"], row.get("period_end"))
        return periods[key]

    for row in lines:
        period_of(row).lines.append(row)
    for row in reconciliation:
        period = period_of(row)
        period.reconciliation = row
        period.period_type = period.period_type or row["period_type"]
        period.period_end = period.period_end or row["period_end"]
    for row in tiers:
        if (row["employee_id"], row["period_start"]) in periods:
            periods[(row["employee_id"], row["period_start"])].tiers.append(row)
    for row in changes:
        if (row["employee_id"], row["period_start"]) in periods:
            periods[(row["employee_id"], row["period_start"])].changes.append(row)
    for row in plan_names:
        period = periods.get((row["employee_id"], row["period_start"]))
        # the name of the plan the lines were computed under (same period type, same plan)
        if period is not None and (row["period_type"], row["plan_id"]) == (period.period_type, period.plan_id):
            period.plan_name = row["plan_name"]

    for period in periods.values():
        period.lines.sort(
            # the order deals fill the tiers: close date, then opportunity id
            key=lambda r: (
                r["close_date"] or date.min,
                r["opportunity_id"],
                LINE_ORDER.get(r["line_type"], 9),
            )
        )
    by_rep: dict[str, list[PlanPeriod]] = {}
    for (employee_id, _), period in sorted(periods.items(), key=lambda kv: (kv[0][0], kv[0][1])):
        by_rep.setdefault(employee_id, []).append(period)
    label = f"{month:%Y-%m}"
    return [Statement(employee_id, label, ps, rep_names.get(employee_id))
            for employee_id, ps in sorted(by_rep.items())]
