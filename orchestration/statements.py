"""Per-rep commission statements: what each rep is owed for a plan period, and why.

For a month YYYY-MM, one statement per rep covers every plan period of the rep that contains
that month (a monthly plan: that month; a quarterly plan: the fiscal quarter holding it), and
is titled with those plan periods (e.g. "January–March 2025" for a quarterly plan asked for
with 2025-03), the rep's name and the plan's name: the deals with their credit, tier and rate,
the SPIFs, the cap, the clawbacks, the total computed, what payroll paid, the variance and its
reason, and the CRM changes after the close listed for review. Every deal names its CRM row
(landing file and line), so a total can be traced from the statement to the deals to the CRM.

The statements are read from the published restricted database only
(`<home>/published/restricted.duckdb`, read-only: never the working database, which a build
may be writing) - the commission marts, and the rep's and the plan's names from
`dim_commission_plan_periods` (restricted: never in bi.duckdb) - and written to
`<home>/statements/<YYYY-MM>/`:

- `<employee_id>.csv`: one row per ledger line (record = line) and the period's summary rows
  (record = summary: computed, paid, variance, status, plan name...), then the statement's
  (employee name, plan periods, the reconciliation tolerance, the publication);
- `<employee_id>.html`: the same for people - plain HTML with inline CSS, no script, nothing
  fetched; rendered by Jinja2 with autoescape, so no value is ever read as markup;
- `index.csv` and `index.html`: one row per rep, with links, and a totals row (computed, paid
  and variance summed over the reps; record = total in the CSV). Money in the HTML has
  thousands separators; the CSV keeps plain numbers (12345.67).

A period is "matched" when |paid - computed| <= 0.01 in the reporting currency (METRICS.md,
Commissions: Reconciliation); every statement and the index say so.

A month whose plan periods hold no commission data in the publication writes nothing and raises
NoCommissionData (`salesops statements` exits 2); the Dagster asset, which writes the as-of
month's statements on every build, reports it as a warning instead of failing the build.

The files are a function of the publication they were read from (its as-of day and run are
printed on every statement), so writing them twice gives the same files.
"""

import csv
import io
import json
import re
import shutil
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

import duckdb
import jinja2

RESTRICTED_FILE = "restricted.duckdb"
MANIFEST_FILE = "publication.json"
NAMES_MART = "dim_commission_plan_periods"

CENT = Decimal("0.01")
# METRICS.md, Commissions, Reconciliation: "status matched when |variance| <= 0.01 in the
# reporting currency" (fct_commission_reconciliation: abs(variance) <= 0.01).
MATCH_TOLERANCE = Decimal("0.01")
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
    "csv", "html", "employee_name", "plan_names", "matched_tolerance", "record",
]
LINE_ORDER = {"commission": 0, "spif": 1, "cap_adjustment": 2, "clawback": 3}
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")
PLAN_KINDS = {"month": "monthly plan", "quarter": "quarterly plan"}


class StatementError(Exception):
    """The statements cannot be written (no publication, a bad period)."""


class NoCommissionData(StatementError):
    """The publication holds no commission data for the plan periods containing the month."""


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
        # Names (restricted): a publication written before the names mart existed has none.
        has_names = con.execute(
            "select count(*) from information_schema.tables where table_schema = 'marts' and table_name = ?",
            [NAMES_MART],
        ).fetchall()[0][0]
        plan_names = _rows(
            con,
            f"select employee_id, period_start, period_type, plan_id, plan_name from marts.{NAMES_MART} as n "
            "where " + covering.format(t="n"),
            [month, month],
        ) if has_names else []
        rep_names = dict(con.execute(
            f"select employee_id, arg_max(full_name, period_start) from marts.{NAMES_MART} "
            "where full_name is not null group by employee_id"
        ).fetchall()) if has_names else {}
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


# ------------------------------------------------------------------------------------ HTML
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
.lead { font-size: 1.05em; margin-top: 0; }
.note { color: #5a6473; font-size: 0.85em; }
.status-matched { color: #17703a; font-weight: bold; }
.status-overpaid, .status-underpaid, .status-no_quota { color: #a4262c; font-weight: bold; }
.provisional { background: #fff4ce; padding: 0.5em; border: 1px solid #e6c200; }
"""

# Every value reaches the page through {{ }} with autoescape on: a name, an id or a CRM value
# can never become markup. Tables are data: headers [{text, num}], rows [{cells, total}], a
# cell {text, href, links, note, status, strong} (see _cell).
_TEMPLATES = {
    "macros": """
{%- macro cell(c) -%}
{%- if c.href %}<a href="{{ c.href }}">{{ c.text }}</a>
{%- elif c.status %}<span class="status-{{ c.status }}">{{ c.text }}</span>
{%- elif c.strong %}<b>{{ c.text }}</b>
{%- else %}{{ c.text }}{% endif -%}
{%- for label, href in c.links %} (<a href="{{ href }}">{{ label }}</a>){% endfor -%}
{%- if c.note %}<br><span class="note">{{ c.note }}</span>{% endif -%}
{%- endmacro -%}
{%- macro table(t) -%}
<table><thead><tr>
{%- for h in t.headers %}<th{% if h.num %} class="num"{% endif %}>{{ h.text }}</th>{% endfor -%}
</tr></thead><tbody>
{%- for row in t.rows %}<tr{% if row.total %} class="total"{% endif %}>
{%- for c in row.cells %}<td{% if t.headers[loop.index0].num %} class="num"{% endif %}>{{ cell(c) }}</td>{% endfor -%}
</tr>{% endfor -%}
</tbody></table>
{%- endmacro -%}
""",
    "page": """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{ title }}</title><style>{{ css }}</style></head>
<body>
{% block body %}{% endblock %}
</body></html>
""",
    "statement": """{% extends "page" %}{% from "macros" import table %}
{%- block body -%}
<h1>Commission statement &mdash; {{ s.period_title }}</h1>
<p class="lead"><b>{{ s.employee_name or "(name not in this publication)" }}</b> (employee {{ s.employee_id }})
{%- for p in s.periods %}<br>{{ p.heading }}: {{ p.start }} to {{ p.end or "open" }}{% endfor %}</p>
<p class="note">Written for {{ s.month }}, the month asked for; a plan period is shown whole (a quarterly
plan: the quarter holding the month). Restricted: compensation data. All money in the reporting currency
(deals at the close date's rate, payouts at the paid date's). Published as of {{ as_of }} by run {{ run_id }}.</p>
<p class="note">{{ tolerance }}</p>
{{ table(s.totals) }}
{%- for p in s.periods %}
<h2>Plan period {{ p.heading }}</h2>
<p class="note">{{ p.meta | join(" · ") }}</p>
{%- if p.provisional %}
<p class="provisional">This period has not closed: the lines below are provisional and will move with the CRM until it closes.</p>
{%- endif %}
{%- if p.rec %}
<p>Ramp-adjusted quota <b>{{ p.rec.quota }}</b>, credited bookings <b>{{ p.rec.credited }}</b>, attainment <b>{{ p.rec.attainment }}</b>, commissionable deals <b>{{ p.rec.deals }}</b>.</p>
{%- endif %}
<h3>Deals</h3>
{% if p.deals %}{{ table(p.deals) }}{% else %}<p>No commissionable deal in this period.</p>{% endif %}
{%- if p.crossing %}
<h3>Deals that cross a tier boundary</h3>
{{ table(p.crossing) }}
{%- endif %}
{%- if p.clawbacks %}
<h3>Clawbacks</h3>
{{ table(p.clawbacks) }}
{%- endif %}
<h3>Total</h3>
{{ table(p.total) }}
{%- if p.changes %}
<h3>Changed in the CRM after the close (for review; no line changed)</h3>
{{ table(p.changes) }}
{%- endif %}
{%- endfor %}
{%- endblock %}
""",
    "index": """{% extends "page" %}{% from "macros" import table %}
{%- block body -%}
<h1>Commission statements &mdash; {{ periods_title }}</h1>
<p class="note">{{ reps }} rep(s); the plan periods containing {{ month }} ({{ month_label }}): a monthly plan, the
month; a quarterly plan, the quarter holding it. Money in the reporting currency. Restricted: compensation data.
Published as of {{ as_of }} by run {{ run_id }}.</p>
<p class="note">{{ tolerance }}</p>
{{ table(index) }}
{%- endblock %}
""",
}
_ENV = jinja2.Environment(
    loader=jinja2.DictLoader(_TEMPLATES),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
)


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
    return _ENV.get_template("statement").render(
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
def index_rows(statements: list[Statement]) -> list[dict[str, str]]:
    """One row per rep (record = rep), then the totals over the reps (record = total):
    computed, paid and variance summed. Plain numbers (12345.67)."""
    rows = []
    for s in statements:
        reasons = sorted({p.reconciliation["reason"] for p in s.periods
                          if p.reconciliation and p.reconciliation["reason"]})
        name = _safe_name(s.employee_id)
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
            _cell(who, href=_href(r["html"]), links=[("csv", _href(r["csv"]))]),
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
    return _ENV.get_template("index").render(
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


def _safe_name(employee_id: str) -> str:
    """A file name for an employee id: safe characters kept, any other one %-encoded."""
    name = "".join(c if re.fullmatch(r"[A-Za-z0-9_-]", c) or (c == "." and i) else f"%{ord(c):02X}"
                   for i, c in enumerate(employee_id))
    return name or "%00"


def write_statements(home: Path, period: str) -> tuple[Path, int]:
    """Write the statements of month `period` (YYYY-MM) for the publication of `home`;
    returns the folder and the number of statements. Raises NoCommissionData, writing
    nothing, when no plan period containing the month has commission data."""
    month = parse_month(period)
    published = Path(home) / "published"
    manifest = published / MANIFEST_FILE
    publication = json.loads(manifest.read_text()) if manifest.exists() else {}
    statements = read_statements(published / RESTRICTED_FILE, month)
    folder = Path(home) / "statements" / f"{month:%Y-%m}"
    if not statements:
        message = (
            f"no commission data for the plan periods containing {month:%Y-%m} ({month_label(month)}) "
            f"in the publication as of {publication.get('as_of') or 'unknown'} "
            f"(run {publication.get('run_id') or 'unknown'}): no statement written"
        )
        if folder.exists():
            message += f"; {folder} (from an earlier publication) was left as it was"
        raise NoCommissionData(message)
    staging = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    for statement in statements:
        name = _safe_name(statement.employee_id)
        (staging / f"{name}.csv").write_text(statement_csv(statement, publication), encoding="utf-8")
        (staging / f"{name}.html").write_text(statement_html(statement, publication), encoding="utf-8")
    rows = index_rows(statements)
    (staging / "index.csv").write_text(index_csv(rows), encoding="utf-8")
    (staging / "index.html").write_text(index_html(statements, rows, month, publication), encoding="utf-8")
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
        "as CSV and HTML with an index (orchestration/statements.py). A default month with no "
        "commission data writes nothing and is logged as a warning."
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
    try:
        folder, count = write_statements(home, period)
    except NoCommissionData as error:
        if config.period:  # asked for explicitly: fail, as `salesops statements` does
            raise
        # the build's own month: a company without commissions yet must still build
        context.log.warning(str(error))
        return dg.MaterializeResult(metadata={"period": period, "statements": 0, "note": str(error)})
    context.log.info(f"wrote {count} commission statement(s) for {period} to {folder}")
    return dg.MaterializeResult(
        metadata={"period": period, "statements": count, "folder": dg.MetadataValue.path(str(folder))}
    )
