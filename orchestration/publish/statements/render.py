"""Rendering statements: the per-rep CSV, HTML and PDF, and the month's index.

The HTML comes from the Jinja2 templates in templates/ (autoescaped: a name, an id or a CRM
value can never become markup) with the one style sheet templates/statement.css inlined, so
a page is plain HTML with no script and nothing fetched. The PDF is WeasyPrint's rendering of
that same HTML. The CSV keeps plain numbers (12345.67); the HTML and PDF show money with
thousands separators.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from importlib import resources
from typing import Any
from urllib.parse import quote

import jinja2
from markupsafe import Markup

from orchestration.publish.statements.model import (
    MATCH_TOLERANCE,
    PlanPeriod,
    Statement,
    month_label,
)

CENT = Decimal("0.01")
TOLERANCE_NOTE = (
    f"Reconciliation tolerance: a plan period is matched when |paid − computed| ≤ {MATCH_TOLERANCE} "
    "in the reporting currency (METRICS.md), so a variance of up to one cent either way still shows "
    "as matched; a larger variance is overpaid or underpaid. no_quota: commissionable deals but no "
    "quota."
)

LINE_COLUMNS = [
    "period_type", "period_start", "period_end", "line_status", "plan_id", "opportunity_id",
    "line_type", "close_date", "credit_date", "is_late_booking", "opportunity_type", "currency",
    "amount_local", "fx_rate", "opportunity_amount", "split_percentage", "credited_amount",
    "attainment_before", "attainment_after", "tier_from", "tier_to", "rate", "is_tier_crossing",
    "spif_ids", "original_period_start", "reversal_date", "reversal_kind", "days_after_close",
    "amount", "closes_on", "data_known_on", "recorded_as_of", "opportunity_split_ids",
    "crm_source_file", "crm_source_line",
]
SUMMARY_FIELDS = [
    "quota_amount", "credited_bookings", "attainment", "deals", "commission_amount",
    "spif_amount", "cap_adjustment_amount", "clawback_amount", "computed_amount",
    "payout_count", "payout_currency", "paid_amount_local", "last_paid_date", "paid_amount",
    "variance", "status", "reason",
]
INDEX_COLUMNS = [
    "employee_id", "periods", "computed_amount", "paid_amount", "variance", "status", "reason",
    "csv", "html", "pdf", "employee_name", "plan_names", "matched_tolerance", "record",
]


# ------------------------------------------------------------------------------- formatting
def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.12g}"
    return str(value)


def _cents(value: Any) -> Decimal:
    """Money rounded half away from zero to cents (exact: Decimal, never float)."""
    amount = value if isinstance(value, Decimal) else Decimal(str(value))
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def _money(value: Any) -> str:
    """Money for people: thousands separators, two decimals ('-12,345.67')."""
    return "" if value is None else f"{_cents(value):,.2f}"


def _plain(value: Any) -> str:
    """Money for machines: no separator ('-12345.67')."""
    return "" if value is None else f"{_cents(value):.2f}"


def _share(value: Any) -> str:
    """An attainment or tier bound (1.0 = 100%) as a percentage."""
    return "" if value is None else f"{value * 100:.1f}%"


def _rate(value: Any) -> str:
    return "" if value is None else f"{value * 100:.2f}%"


def _status_text(status: str, variance: Any) -> str:
    """The status, saying so when 'matched' hides a variance inside the tolerance."""
    if status == "matched" and variance is not None and _cents(variance) != 0:
        return (f"matched (variance {_money(variance)} is within the {MATCH_TOLERANCE} "
                "reconciliation tolerance)")
    return status


def _period_heading(period: PlanPeriod) -> str:
    """'January–March 2025, quarterly plan AE quarterly (P_AE)'."""
    plan = period.plan_name or ""
    if period.plan_id:
        plan = f"{plan} ({period.plan_id})" if plan else str(period.plan_id)
    return f"{period.label}, {period.plan_kind}" + (f" {plan}" if plan else "")


# ------------------------------------------------------------------------------------- CSV
def statement_csv(statement: Statement, publication: dict[str, Any]) -> str:
    """Ledger lines (record = line) then, per plan period, its summary (record = summary), then
    the statement's own summary rows (name, plan periods, tolerance, publication)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["record", "employee_id", *LINE_COLUMNS, "summary_field", "summary_value"])
    for period in statement.periods:
        for line in period.lines:
            writer.writerow(["line", statement.employee_id, *(_text(line.get(c)) for c in LINE_COLUMNS), "", ""])
        base = {c: "" for c in LINE_COLUMNS}
        base.update(
            period_type=_text(period.period_type),
            period_start=_text(period.period_start),
            period_end=_text(period.period_end),
        )
        summary = dict(period.reconciliation or {})
        summary.setdefault("computed_amount", period.computed)
        summary["lines_total"] = period.lines_total
        summary["period_label"] = period.label
        summary["plan_name"] = period.plan_name
        for name in ["lines_total", *SUMMARY_FIELDS, "period_label", "plan_name"]:
            if name in summary:
                writer.writerow(
                    ["summary", statement.employee_id, *base.values(), name, _text(summary[name])]
                )
    blank = ["" for _ in LINE_COLUMNS]
    for name, value in (
        ("employee_name", statement.employee_name or ""),
        ("plan_periods", statement.period_title),
        ("requested_month", statement.month),
        ("matched_tolerance", str(MATCH_TOLERANCE)),
        ("published_as_of", publication.get("as_of", "")),
        ("published_by_run", publication.get("run_id", "")),
    ):
        writer.writerow(["summary", statement.employee_id, *blank, name, value])
    return out.getvalue()


_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("orchestration.publish.statements", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
)
# The style sheet is the package's own file, not data: inlined as it is.
_CSS = Markup(resources.files(__package__).joinpath("templates", "statement.css").read_text(encoding="utf-8"))


def _cell(text: Any = "", *, href: str | None = None, links: list[tuple[str, str]] | None = None,
          note: Any = None, status: str | None = None, strong: bool = False) -> dict[str, Any]:
    return {"text": _text(text), "href": href, "links": links or [], "note": _text(note) or None,
            "status": status, "strong": strong}


def _table(headers: list[tuple[str, bool]], rows: list[list[Any]], total: list[Any] | None = None) -> dict:
    """A table for the `table` macro; a row's cells are _cell dicts or plain values."""
    def cells(row: list[Any]) -> list[dict[str, Any]]:
        return [c if isinstance(c, dict) else _cell(c) for c in row]

    body = [{"cells": cells(r), "total": False} for r in rows]
    if total is not None:
        body.append({"cells": cells(total), "total": True})
    return {"headers": [{"text": h, "num": num} for h, num in headers], "rows": body}


def _href(file_name: str) -> str:
    """A relative link to a file of the folder (a %-encoded employee id stays literal)."""
    return quote(file_name)


def _tier(line: dict[str, Any]) -> str:
    return f"{_share(line['tier_from'])} to {_share(line['tier_to']) or 'no limit'}"


def _period_view(period: PlanPeriod) -> dict[str, Any]:
    rec = period.reconciliation
    meta = [f"{period.period_type or 'period'} {_text(period.period_start)} to {_text(period.period_end)}",
            f"Plan {_text(period.plan_id)}" + (f" ({period.plan_name})" if period.plan_name else "")]
    if period.lines:
        first = period.lines[0]
        meta.append(f"closes on {_text(first['closes_on'])}")
        meta.append(f"data as known on {_text(first['data_known_on'])}")
        if first["recorded_as_of"]:
            meta.append(f"recorded by the build as of {_text(first['recorded_as_of'])}")

    deal_lines = [l for l in period.lines if l["line_type"] != "clawback"]
    by_deal: dict[str, dict[str, dict]] = {}
    for line in deal_lines:
        by_deal.setdefault(line["opportunity_id"], {})[line["line_type"]] = line
    rows = []
    totals = {k: Decimal("0.00") for k in ("credit", "commission", "spif", "cap", "net")}
    for opportunity_id, kinds in by_deal.items():
        any_line = next(iter(kinds.values()))
        com = kinds.get("commission")
        amounts = {k: kinds[t]["amount"] if t in kinds else Decimal("0.00")
                   for k, t in (("commission", "commission"), ("spif", "spif"), ("cap", "cap_adjustment"))}
        net = amounts["commission"] + amounts["spif"] + amounts["cap"]
        credit = com["credited_amount"] if com else Decimal("0.00")
        totals["credit"] += credit
        for k in ("commission", "spif", "cap"):
            totals[k] += amounts[k]
        totals["net"] += net
        tier = ""
        if com and com["tier_from"] is not None:
            tier = _tier(com)
        elif com:
            tier = "no quota"
        date_note = _text(any_line["close_date"])
        if any_line.get("is_late_booking"):
            date_note += f" (late booking, counted {_text(any_line['credit_date'])})"
        rows.append([
            _cell(opportunity_id, note=f"{_text(any_line['crm_source_file'])}:{_text(any_line['crm_source_line'])}"),
            date_note,
            any_line["opportunity_type"],
            f"{_money(any_line['amount_local'])} {_text(any_line['currency'])}",
            _text(any_line["split_percentage"]) + "%",
            _money(credit),
            tier + (" (crosses a tier)" if com and com["is_tier_crossing"] else ""),
            _rate(com["rate"]) if com else "",
            _money(amounts["commission"]),
            _cell(_money(amounts["spif"]), note=kinds["spif"]["spif_ids"] if "spif" in kinds else None),
            _money(amounts["cap"]),
            _money(net),
        ])
    deals = _table(
        [("Deal (CRM row)", False), ("Close date", False), ("Type", False), ("Amount", True),
         ("Split", True), ("Credit", True), ("Tier", False), ("Rate", True),
         ("Commission", True), ("SPIF", True), ("Cap", True), ("Net", True)],
        rows,
        ["Total", "", "", "", "", _money(totals["credit"]), "", "", _money(totals["commission"]),
         _money(totals["spif"]), _money(totals["cap"]), _money(totals["net"])],
    ) if rows else None

    # the tier portions of the deals that cross a boundary, in the order the deals fill the tiers
    order = {l["opportunity_id"]: i for i, l in enumerate(period.lines)
             if l["line_type"] == "commission" and l["is_tier_crossing"]}
    crossing = sorted((t for t in period.tiers if t["opportunity_id"] in order),
                      key=lambda t: (order[t["opportunity_id"]], t["tier_from"]))
    crossing_table = _table(
        [("Deal", False), ("Tier", False), ("Band (money)", True), ("Credit in tier", True),
         ("Rate", True), ("Commission", True)],
        [[t["opportunity_id"], _tier(t),
          f"{_money(t['band_floor_amount'])} to {_money(t['band_ceiling_amount']) or 'no limit'}",
          _money(t["credited_in_tier"]), _rate(t["rate"]), _money(t["amount"])] for t in crossing],
    ) if crossing else None

    clawbacks = [l for l in period.lines if l["line_type"] == "clawback"]
    clawback_table = _table(
        [("Deal (CRM row of the reversal)", False), ("Closed", False), ("Reversed", False),
         ("Days after close", True), ("Paid in period", False), ("Amount", True)],
        [[_cell(l["opportunity_id"], note=f"{_text(l['crm_source_file'])}:{_text(l['crm_source_line'])}"),
          l["close_date"], f"{_text(l['reversal_date'])} ({_text(l['reversal_kind'])})",
          l["days_after_close"], l["original_period_start"], _money(l["amount"])] for l in clawbacks],
    ) if clawbacks else None

    summary: list[list[Any]] = [
        ["Commission", _money(rec["commission_amount"])],
        ["SPIFs", _money(rec["spif_amount"])],
        ["Cap adjustment", _money(rec["cap_adjustment_amount"])],
        ["Clawbacks", _money(rec["clawback_amount"])],
    ] if rec else []
    rounding = period.computed - period.lines_total
    if rounding:
        summary.append(["Rounding (each line is rounded to cents; the total is the sum of the "
                        "unrounded lines)", _money(rounding)])
    summary.append([_cell("Total computed", strong=True), _cell(_money(period.computed), strong=True)])
    if rec is not None:
        paid_note = None
        if rec["payout_count"]:
            paid_note = (f"{_text(rec['payout_count'])} payout(s), {_money(rec['paid_amount_local'])} "
                         f"{_text(rec['payout_currency'])}, last paid {_text(rec['last_paid_date'])}")
        status = _status_text(rec["status"], rec["variance"])
        summary += [
            [_cell("Paid by payroll", note=paid_note), _money(rec["paid_amount"])],
            ["Variance (paid - computed)", _money(rec["variance"])],
            ["Status", _cell(status + (f" — {rec['reason']}" if rec["reason"] else ""), status=rec["status"],
                             note=f"matched when |variance| ≤ {MATCH_TOLERANCE}")],
        ]
    else:
        summary.append(["Paid by payroll", "not reconciled (the period has not closed)"])

    changes_table = _table(
        [("Deal", False), ("Change", False), ("Seen on", False), ("At close", False), ("After", False),
         ("CRM row", False)],
        [[c["opportunity_id"], c["change_kind"], c["first_seen_on"], c["value_at_close"], c["value_after"],
          f"{_text(c['crm_source_file'])}:{_text(c['crm_source_line'])}"] for c in period.changes],
    ) if period.changes else None

    return {
        "heading": _period_heading(period),
        "start": _text(period.period_start),
        "end": _text(period.period_end),
        "meta": meta,
        "provisional": period.is_provisional,
        "rec": {
            "quota": _money(rec["quota_amount"]), "credited": _money(rec["credited_bookings"]),
            "attainment": _share(rec["attainment"]), "deals": _text(rec["deals"]),
        } if rec else None,
        "deals": deals,
        "crossing": crossing_table,
        "clawbacks": clawback_table,
        "total": _table([("", False), ("Amount", True)], summary),
        "changes": changes_table,
    }


def _page_title(statement: Statement) -> str:
    who = f"{statement.employee_name} ({statement.employee_id})" if statement.employee_name else statement.employee_id
    return f"Commission statement {statement.period_title} - {who}"


def statement_html(statement: Statement, publication: dict[str, Any]) -> str:
    totals = _table(
        [("", False), ("Amount", True)],
        [["Total computed", _money(statement.computed)], ["Paid", _money(statement.paid)],
         ["Variance", _money(statement.variance)],
         ["Status", _status_text(statement.status, statement.variance)]],
    )
    return _ENV.get_template("statement.html").render(
        title=_page_title(statement),
        css=_CSS,
        tolerance=TOLERANCE_NOTE,
        as_of=_text(publication.get("as_of")),
        run_id=_text(publication.get("run_id")),
        s={
            "employee_id": statement.employee_id,
            "employee_name": statement.employee_name,
            "month": statement.month,
            "period_title": statement.period_title,
            "totals": totals,
            "periods": [_period_view(p) for p in statement.periods],
        },
    )


# ----------------------------------------------------------------------------------- index
def index_rows(statements: list[Statement], pdf: bool = True) -> list[dict[str, str]]:
    """One row per rep (record = rep), then the totals over the reps (record = total):
    computed, paid and variance summed. Plain numbers (12345.67)."""
    rows = []
    for s in statements:
        reasons = sorted({p.reconciliation["reason"] for p in s.periods
                          if p.reconciliation and p.reconciliation["reason"]})
        name = safe_name(s.employee_id)
        rows.append({
            "employee_id": s.employee_id,
            "periods": "; ".join(f"{p.period_type or ''} {p.period_start}".strip() for p in s.periods),
            "computed_amount": _plain(s.computed),
            "paid_amount": _plain(s.paid),
            "variance": _plain(s.variance),
            "status": s.status,
            "reason": ", ".join(reasons),
            "csv": f"{name}.csv",
            "html": f"{name}.html",
            "pdf": f"{name}.pdf" if pdf else "",
            "employee_name": s.employee_name or "",
            "plan_names": "; ".join(p.plan_name or "" for p in s.periods),
            "matched_tolerance": str(MATCH_TOLERANCE),
            "record": "rep",
        })
    total = dict.fromkeys(INDEX_COLUMNS, "")
    total.update(
        computed_amount=_plain(sum((s.computed for s in statements), Decimal("0.00"))),
        paid_amount=_plain(sum((s.paid for s in statements), Decimal("0.00"))),
        variance=_plain(sum((s.variance for s in statements), Decimal("0.00"))),
        record="total",
    )
    return rows + [total]


def index_csv(rows: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, INDEX_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def index_html(statements: list[Statement], rows: list[dict[str, str]], month: date,
               publication: dict[str, Any]) -> str:
    reps = [r for r in rows if r["record"] == "rep"]
    (total,) = [r for r in rows if r["record"] == "total"]
    table_rows = []
    for s, r in zip(statements, reps):
        who = f"{s.employee_name} ({s.employee_id})" if s.employee_name else s.employee_id
        table_rows.append([
            _cell(who, href=_href(r["html"]), links=[(kind, _href(r[kind])) for kind in ("csv", "pdf") if r[kind]]),
            "; ".join(_period_heading(p) for p in s.periods),
            _money(s.computed), _money(s.paid), _money(s.variance),
            _status_text(s.status, s.variance), r["reason"],
        ])
    table = _table(
        [("Rep", False), ("Plan periods", False), ("Computed", True), ("Paid", True), ("Variance", True),
         ("Status", False), ("Reason", False)],
        table_rows,
        [f"Total ({len(reps)} reps)", "", _money(Decimal(total["computed_amount"])),
         _money(Decimal(total["paid_amount"])), _money(Decimal(total["variance"])), "", ""],
    )
    # each distinct plan period once, in order: "January–March 2025 (quarterly plans) and March 2025 (monthly plans)"
    seen: dict[tuple, str] = {}
    for s in statements:
        for p in s.periods:
            seen.setdefault((p.period_start, p.period_end or p.period_start, p.period_type or ""),
                            f"{p.label} ({p.plan_kind}s)")
    periods_title = " and ".join(seen[k] for k in sorted(seen))
    return _ENV.get_template("index.html").render(
        title=f"Commission statements {periods_title}",
        css=_CSS,
        tolerance=TOLERANCE_NOTE,
        periods_title=periods_title,
        reps=len(reps),
        month=f"{month:%Y-%m}",
        month_label=month_label(month),
        as_of=_text(publication.get("as_of")),
        run_id=_text(publication.get("run_id")),
        index=table,
    )


def safe_name(employee_id: str) -> str:
    """A file name for an employee id: safe characters kept, any other one %-encoded."""
    name = "".join(c if re.fullmatch(r"[A-Za-z0-9_-]", c) or (c == "." and i) else f"%{ord(c):02X}"
                   for i, c in enumerate(employee_id))
    return name or "%00"


def html_to_pdf(html: str) -> bytes:
    """The PDF of a page rendered by this module (WeasyPrint; the page fetches nothing, so no
    base URL is needed). The same page gives the same bytes."""
    import weasyprint  # loads Pango: only when a PDF is written

    return weasyprint.HTML(string=html).write_pdf()
