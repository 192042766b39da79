"""Per-rep commission statements: what each rep is owed for a month, and why.

For a month YYYY-MM, one statement per rep covers every plan period of the rep that contains
that month (a monthly plan: that month; a quarterly plan: the fiscal quarter holding it): the
deals with their credit, tier and rate, the SPIFs, the cap, the clawbacks, the total computed,
what payroll paid, the variance and its reason, and the CRM changes after the close listed for
review. Every deal names its CRM row (landing file and line), so a total can be traced from
the statement to the deals to the CRM.

The statements are read from the published restricted database only
(`<home>/published/restricted.duckdb`, read-only: never the working database, which a build
may be writing) and written to `<home>/statements/<YYYY-MM>/`:

- `<employee_id>.csv`: one row per ledger line (record = line) and the period's summary rows
  (record = summary: computed, paid, variance, status);
- `<employee_id>.html`: the same for people - plain HTML with inline CSS, no script, nothing
  fetched;
- `index.csv` and `index.html`: one row per rep, with links.

The files are a function of the publication they were read from (its as-of day and run are
printed on every statement), so writing them twice gives the same files.
"""

import csv
import html
import io
import json
import re
import shutil
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

RESTRICTED_FILE = "restricted.duckdb"
MANIFEST_FILE = "publication.json"

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
LINE_ORDER = {"commission": 0, "spif": 1, "cap_adjustment": 2, "clawback": 3}


class StatementError(Exception):
    """The statements cannot be written (no publication, a bad period)."""


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


@dataclass
class Statement:
    employee_id: str
    month: str
    periods: list[PlanPeriod]

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


def parse_month(text: str) -> date:
    """YYYY-MM -> the month's first day."""
    if not re.fullmatch(r"\d{4}-\d{2}", text or ""):
        raise StatementError(f"period must be YYYY-MM, not {text!r}")
    year, month = int(text[:4]), int(text[5:])
    if not 1 <= month <= 12:
        raise StatementError(f"period must be YYYY-MM, not {text!r}")
    return date(year, month, 1)


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list) -> list[dict[str, Any]]:
    cursor = con.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def read_statements(restricted_db: Path, month: date) -> list[Statement]:
    """Every rep's statement for the plan periods containing `month`, from the published
    restricted database (opened read-only)."""
    if not restricted_db.exists():
        raise StatementError(f"no published restricted database at {restricted_db}; run `salesops build` first")
    con = duckdb.connect(str(restricted_db), read_only=True)
    try:
        covering = "{t}.period_start <= ? and coalesce({t}.period_end, {t}.period_start) >= ?"
        lines = _rows(
            con,
            "select * from marts.fct_commissions as l where " + covering.format(t="l")
            + " order by l.employee_id, l.period_start, l.period_type",
            [month, month],
        )
        reconciliation = _rows(
            con,
            "select * from marts.fct_commission_reconciliation as r where " + covering.format(t="r"),
            [month, month],
        )
        tiers = _rows(
            con,
            "select * from marts.fct_commission_tiers as t where t.period_start in ("
            "select l.period_start from marts.fct_commissions as l where l.employee_id = t.employee_id and "
            + covering.format(t="l") + ") order by t.employee_id, t.period_start, t.opportunity_id, t.tier_from",
            [month, month],
        )
        changes = _rows(
            con,
            "select * from marts.fct_commission_changes_after_close as ch where ch.period_start in ("
            "select r.period_start from marts.fct_commission_reconciliation as r "
            "where r.employee_id = ch.employee_id and " + covering.format(t="r") + ") "
            "order by ch.employee_id, ch.period_start, ch.opportunity_id, ch.change_kind",
            [month, month],
        )
    finally:
        con.close()

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
    return [Statement(employee_id, label, ps) for employee_id, ps in sorted(by_rep.items())]


# ------------------------------------------------------------------------------- rendering
def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.12g}"
    return str(value)


def _money(value: Any) -> str:
    return "" if value is None else f"{Decimal(value):,.2f}"


def _share(value: Any) -> str:
    """An attainment or tier bound (1.0 = 100%) as a percentage."""
    return "" if value is None else f"{value * 100:.1f}%"


def _rate(value: Any) -> str:
    return "" if value is None else f"{value * 100:.2f}%"


def statement_csv(statement: Statement, publication: dict[str, Any]) -> str:
    """Ledger lines (record = line) then, per plan period, its summary (record = summary)."""
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
        for name in ["lines_total", *SUMMARY_FIELDS]:
            if name in summary:
                writer.writerow(
                    ["summary", statement.employee_id, *base.values(), name, _text(summary[name])]
                )
    writer.writerow(["summary", statement.employee_id, *("" for _ in LINE_COLUMNS), "published_as_of",
                     publication.get("as_of", "")])
    writer.writerow(["summary", statement.employee_id, *("" for _ in LINE_COLUMNS), "published_by_run",
                     publication.get("run_id", "")])
    return out.getvalue()


_CSS = """
body { font-family: Helvetica, Arial, sans-serif; color: #1d2430; margin: 2em auto; max-width: 72em; }
h1 { font-size: 1.5em; margin-bottom: 0.2em; }
h2 { font-size: 1.2em; margin-top: 1.6em; border-bottom: 2px solid #1d2430; }
h3 { font-size: 1em; margin-top: 1.2em; }
table { border-collapse: collapse; width: 100%; margin: 0.5em 0 1em; font-size: 0.9em; }
th, td { border-bottom: 1px solid #d5d9e0; padding: 0.3em 0.5em; text-align: left; vertical-align: top; }
th { background: #f0f2f5; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.total td { font-weight: bold; border-top: 2px solid #1d2430; }
.note { color: #5a6473; font-size: 0.85em; }
.status-matched { color: #17703a; font-weight: bold; }
.status-overpaid, .status-underpaid, .status-no_quota { color: #a4262c; font-weight: bold; }
.provisional { background: #fff4ce; padding: 0.5em; border: 1px solid #e6c200; }
"""


def _e(value: Any) -> str:
    return html.escape(_text(value))


def _table(headers: list[tuple[str, bool]], rows: list[list[str]], total: list[str] | None = None) -> str:
    head = "".join(f'<th class="num">{html.escape(h)}</th>' if num else f"<th>{html.escape(h)}</th>"
                   for h, num in headers)
    body = []
    for row in rows + ([total] if total else []):
        cells = "".join(
            f'<td class="num">{cell}</td>' if num else f"<td>{cell}</td>"
            for cell, (_, num) in zip(row, headers)
        )
        body.append(f'<tr class="total">{cells}</tr>' if total is not None and row is total else f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _period_html(period: PlanPeriod) -> str:
    rec = period.reconciliation
    title = f"{_e(period.period_type or 'period')} {_e(period.period_start)} to {_e(period.period_end)}"
    plan = period.lines[0]["plan_id"] if period.lines else (rec or {}).get("plan_id")
    parts = [f"<h2>Plan period: {title}</h2>"]
    meta = [f"Plan {_e(plan)}"]
    if period.lines:
        first = period.lines[0]
        meta.append(f"closes on {_e(first['closes_on'])}")
        meta.append(f"data as known on {_e(first['data_known_on'])}")
        if first["recorded_as_of"]:
            meta.append(f"recorded by the build as of {_e(first['recorded_as_of'])}")
    parts.append(f'<p class="note">{" &middot; ".join(meta)}</p>')
    if period.is_provisional:
        parts.append(
            '<p class="provisional">This period has not closed: the lines below are provisional '
            "and will move with the CRM until it closes.</p>"
        )
    if rec is not None:
        parts.append(
            "<p>Ramp-adjusted quota <b>" + _money(rec["quota_amount"]) + "</b>, credited bookings <b>"
            + _money(rec["credited_bookings"]) + "</b>, attainment <b>" + _share(rec["attainment"])
            + "</b>, commissionable deals <b>" + _e(rec["deals"]) + "</b>.</p>"
        )

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
            tier = f"{_share(com['tier_from'])} to {_share(com['tier_to']) or 'no limit'}"
        elif com:
            tier = "no quota"
        date_note = _e(any_line["close_date"])
        if any_line.get("is_late_booking"):
            date_note += f" (late booking, counted {_e(any_line['credit_date'])})"
        rows.append([
            _e(opportunity_id) + f'<br><span class="note">{_e(any_line["crm_source_file"])}:'
            f'{_e(any_line["crm_source_line"])}</span>',
            date_note,
            _e(any_line["opportunity_type"]),
            f'{_money(any_line["amount_local"])} {_e(any_line["currency"])}',
            _e(any_line["split_percentage"]) + "%",
            _money(credit),
            tier + (" (crosses a tier)" if com and com["is_tier_crossing"] else ""),
            _rate(com["rate"]) if com else "",
            _money(amounts["commission"]),
            _money(amounts["spif"]) + (f'<br><span class="note">{_e(kinds["spif"]["spif_ids"])}</span>'
                                       if "spif" in kinds else ""),
            _money(amounts["cap"]),
            _money(net),
        ])
    headers = [("Deal (CRM row)", False), ("Close date", False), ("Type", False), ("Amount", True),
               ("Split", True), ("Credit", True), ("Tier", False), ("Rate", True),
               ("Commission", True), ("SPIF", True), ("Cap", True), ("Net", True)]
    parts.append("<h3>Deals</h3>")
    if rows:
        parts.append(_table(headers, rows, ["Total", "", "", "", "", _money(totals["credit"]), "", "",
                                            _money(totals["commission"]), _money(totals["spif"]),
                                            _money(totals["cap"]), _money(totals["net"])]))
    else:
        parts.append("<p>No commissionable deal in this period.</p>")

    # the tier portions of the deals that cross a boundary, in the order the deals fill the tiers
    order = {l["opportunity_id"]: i for i, l in enumerate(period.lines)
             if l["line_type"] == "commission" and l["is_tier_crossing"]}
    crossing = sorted((t for t in period.tiers if t["opportunity_id"] in order),
                      key=lambda t: (order[t["opportunity_id"]], t["tier_from"]))
    if crossing:
        parts.append("<h3>Deals that cross a tier boundary</h3>")
        parts.append(_table(
            [("Deal", False), ("Tier", False), ("Band (money)", True), ("Credit in tier", True),
             ("Rate", True), ("Commission", True)],
            [[_e(t["opportunity_id"]), f"{_share(t['tier_from'])} to {_share(t['tier_to']) or 'no limit'}",
              f"{_money(t['band_floor_amount'])} to {_money(t['band_ceiling_amount']) or 'no limit'}",
              _money(t["credited_in_tier"]), _rate(t["rate"]), _money(t["amount"])] for t in crossing],
        ))

    clawbacks = [l for l in period.lines if l["line_type"] == "clawback"]
    if clawbacks:
        parts.append("<h3>Clawbacks</h3>")
        parts.append(_table(
            [("Deal (CRM row of the reversal)", False), ("Closed", False), ("Reversed", False),
             ("Days after close", True), ("Paid in period", False), ("Amount", True)],
            [[_e(l["opportunity_id"]) + f'<br><span class="note">{_e(l["crm_source_file"])}:'
              f'{_e(l["crm_source_line"])}</span>',
              _e(l["close_date"]), f"{_e(l['reversal_date'])} ({_e(l['reversal_kind'])})",
              _e(l["days_after_close"]), _e(l["original_period_start"]), _money(l["amount"])]
             for l in clawbacks],
        ))

    summary = [
        ["Commission", _money(rec["commission_amount"]) if rec else ""],
        ["SPIFs", _money(rec["spif_amount"]) if rec else ""],
        ["Cap adjustment", _money(rec["cap_adjustment_amount"]) if rec else ""],
        ["Clawbacks", _money(rec["clawback_amount"]) if rec else ""],
    ] if rec else []
    rounding = period.computed - period.lines_total
    if rounding:
        summary.append(["Rounding (each line is rounded to cents; the total is the sum of the "
                        "unrounded lines)", _money(rounding)])
    parts.append("<h3>Total</h3>")
    total_rows = summary + [["<b>Total computed</b>", "<b>" + _money(period.computed) + "</b>"]]
    if rec is not None:
        paid_note = ""
        if rec["payout_count"]:
            paid_note = (f' <span class="note">({_e(rec["payout_count"])} payout(s), '
                         f'{_money(rec["paid_amount_local"])} {_e(rec["payout_currency"])}, '
                         f'last paid {_e(rec["last_paid_date"])})</span>')
        total_rows += [
            ["Paid by payroll" + paid_note, _money(rec["paid_amount"])],
            ["Variance (paid - computed)", _money(rec["variance"])],
            ["Status", f'<span class="status-{_e(rec["status"])}">{_e(rec["status"])}</span>'
             + (f" &mdash; {_e(rec['reason'])}" if rec["reason"] else "")],
        ]
    else:
        total_rows.append(["Paid by payroll", "not reconciled (the period has not closed)"])
    parts.append(_table([("", False), ("Amount", True)], total_rows))

    if period.changes:
        parts.append("<h3>Changed in the CRM after the close (for review; no line changed)</h3>")
        parts.append(_table(
            [("Deal", False), ("Change", False), ("Seen on", False), ("At close", False), ("After", False),
             ("CRM row", False)],
            [[_e(c["opportunity_id"]), _e(c["change_kind"]), _e(c["first_seen_on"]), _e(c["value_at_close"]),
              _e(c["value_after"]), f"{_e(c['crm_source_file'])}:{_e(c['crm_source_line'])}"]
             for c in period.changes],
        ))
    return "\n".join(parts)


def _page(title: str, body: str) -> str:
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head>\n"
        f"<body>\n{body}\n</body></html>\n"
    )


def statement_html(statement: Statement, publication: dict[str, Any]) -> str:
    body = [
        f"<h1>Commission statement &mdash; {_e(statement.employee_id)}, {_e(statement.month)}</h1>",
        '<p class="note">Restricted: compensation data. All money in the reporting currency '
        "(deals at the close date's rate, payouts at the paid date's). Published as of "
        f"{_e(publication.get('as_of'))} by run {_e(publication.get('run_id'))}.</p>",
        _table(
            [("", False), ("Amount", True)],
            [["Total computed", _money(statement.computed)], ["Paid", _money(statement.paid)],
             ["Variance", _money(statement.variance)], ["Status", _e(statement.status)]],
        ),
    ]
    body += [_period_html(p) for p in statement.periods]
    return _page(f"Commission statement {statement.employee_id} {statement.month}", "\n".join(body))


def index_rows(statements: list[Statement]) -> list[dict[str, str]]:
    rows = []
    for s in statements:
        reasons = sorted({p.reconciliation["reason"] for p in s.periods
                          if p.reconciliation and p.reconciliation["reason"]})
        name = _safe_name(s.employee_id)
        rows.append({
            "employee_id": s.employee_id,
            "periods": "; ".join(f"{p.period_type or ''} {p.period_start}".strip() for p in s.periods),
            "computed_amount": _money(s.computed).replace(",", ""),
            "paid_amount": _money(s.paid).replace(",", ""),
            "variance": _money(s.variance).replace(",", ""),
            "status": s.status,
            "reason": ", ".join(reasons),
            "csv": f"{name}.csv",
            "html": f"{name}.html",
        })
    return rows


def _safe_name(employee_id: str) -> str:
    """A file name for an employee id: safe characters kept, any other one %-encoded."""
    name = "".join(c if re.fullmatch(r"[A-Za-z0-9_-]", c) or (c == "." and i) else f"%{ord(c):02X}"
                   for i, c in enumerate(employee_id))
    return name or "%00"


def write_statements(home: Path, period: str) -> tuple[Path, int]:
    """Write the statements of month `period` (YYYY-MM) for the publication of `home`;
    returns the folder and the number of statements."""
    month = parse_month(period)
    published = Path(home) / "published"
    manifest = published / MANIFEST_FILE
    publication = json.loads(manifest.read_text()) if manifest.exists() else {}
    statements = read_statements(published / RESTRICTED_FILE, month)
    folder = Path(home) / "statements" / f"{month:%Y-%m}"
    staging = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    for statement in statements:
        name = _safe_name(statement.employee_id)
        (staging / f"{name}.csv").write_text(statement_csv(statement, publication), encoding="utf-8")
        (staging / f"{name}.html").write_text(statement_html(statement, publication), encoding="utf-8")
    rows = index_rows(statements)
    columns = ["employee_id", "periods", "computed_amount", "paid_amount", "variance", "status", "reason",
               "csv", "html"]
    out = io.StringIO()
    writer = csv.DictWriter(out, columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    (staging / "index.csv").write_text(out.getvalue(), encoding="utf-8")
    table = _table(
        [("Rep", False), ("Plan periods", False), ("Computed", True), ("Paid", True), ("Variance", True),
         ("Status", False), ("Reason", False)],
        [[f'<a href="{html.escape(r["html"])}">{html.escape(r["employee_id"])}</a> '
          f'(<a href="{html.escape(r["csv"])}">csv</a>)', html.escape(r["periods"]),
          html.escape(r["computed_amount"]), html.escape(r["paid_amount"]), html.escape(r["variance"]),
          html.escape(r["status"]), html.escape(r["reason"])] for r in rows],
    )
    (staging / "index.html").write_text(_page(
        f"Commission statements {month:%Y-%m}",
        f"<h1>Commission statements &mdash; {month:%Y-%m}</h1>"
        f'<p class="note">{len(rows)} rep(s); plan periods containing {month:%Y-%m} (a monthly plan: the '
        "month; a quarterly plan: the quarter holding it). Published as of "
        f"{_e(publication.get('as_of'))} by run {_e(publication.get('run_id'))}.</p>{table}",
    ), encoding="utf-8")
    # Swap the folder in whole, so a reader never sees half of a month's statements.
    old = folder.with_name(folder.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if folder.exists():
        folder.rename(old)
    staging.rename(folder)
    shutil.rmtree(old, ignore_errors=True)
    return folder, len(statements)


# ------------------------------------------------------------------------------ Dagster asset
import dagster as dg  # noqa: E402  (the functions above do not need Dagster)

from orchestration.resources import Warehouse  # noqa: E402


class StatementsConfig(dg.Config):
    period: str = ""  # YYYY-MM; empty: the month of the publication's as-of day


@dg.asset(
    key=["published", "statements"],
    group_name="publish",
    deps=[dg.AssetKey(["published", "marts"])],
    kinds={"csv", "html"},
    description=(
        "Per-rep commission statements for a month (default: the month of the as-of day), read "
        "from <home>/published/restricted.duckdb and written to <home>/statements/<YYYY-MM>/ "
        "as CSV and HTML with an index (orchestration/statements.py)."
    ),
)
def commission_statements(
    context: dg.AssetExecutionContext, config: StatementsConfig, warehouse: Warehouse
) -> dg.MaterializeResult:
    home = Path(warehouse.home)
    period = config.period
    if not period:
        manifest = home / "published" / MANIFEST_FILE
        as_of = json.loads(manifest.read_text()).get("as_of") if manifest.exists() else ""
        if not as_of:
            raise StatementError(f"no publication in {home}: nothing to write statements from")
        period = as_of[:7]
    folder, count = write_statements(home, period)
    context.log.info(f"wrote {count} commission statement(s) for {period} to {folder}")
    return dg.MaterializeResult(
        metadata={"period": period, "statements": count, "folder": dg.MetadataValue.path(str(folder))}
    )
