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
- `<employee_id>.html`: the same for people - plain HTML, its style sheet inlined, no script,
  nothing fetched; rendered from templates/ by Jinja2 with autoescape, so no value is ever read
  as markup;
- `<employee_id>.pdf`: that same page as PDF (WeasyPrint), the copy finance files: written
  by `salesops statements`, not by the daily build (about 0.15 s of layout a rep);
- `index.csv` and `index.html`: one row per rep, with links to its files, and a totals row (computed, paid
  and variance summed over the reps; record = total in the CSV). Money in the HTML has
  thousands separators; the CSV keeps plain numbers (12345.67).

A period is "matched" when |paid - computed| <= 0.01 in the reporting currency (METRICS.md,
Commissions: Reconciliation); every statement and the index say so.

A month whose plan periods hold no commission data in the publication writes nothing and raises
NoCommissionData (`salesops statements` exits 2); the Dagster asset, which writes the as-of
month's statements (CSV and HTML) on every build, reports it as a warning instead of failing the build.

The files are a function of the publication they were read from (its as-of day and run are
printed on every statement), so writing them twice gives the same files.

The package in parts: model.py (the dataclasses), read.py (the restricted database), render.py
(CSV, HTML, PDF; templates/ holds the pages and the style sheet), write.py (the month's folder,
swapped in whole). The Dagster asset is in orchestration/publish/assets.py.
"""

from orchestration.publish.statements.model import (
    NoCommissionData,
    Statement,
    StatementError,
    parse_month,
    period_label,
)
from orchestration.publish.statements.read import read_statements
from orchestration.publish.statements.write import statement_path, write_statements

__all__ = [
    "NoCommissionData",
    "Statement",
    "StatementError",
    "parse_month",
    "period_label",
    "read_statements",
    "statement_path",
    "write_statements",
]
