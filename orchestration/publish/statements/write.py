"""Writing a month's statements to `<home>/statements/<YYYY-MM>/`, swapped in whole.

Per rep `<employee_id>.csv`, `.html` and (unless `pdf=False`) `.pdf`; for the month `index.csv` and `index.html`.
The files are a function of the publication they were read from (its as-of day and run are
printed on every statement), so writing them twice gives the same files.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

from orchestration.publish.publisher import RESTRICTED_FILE, current_publication
from orchestration.publish.statements.model import NoCommissionData, month_label, parse_month
from orchestration.publish.statements.read import read_statements
from orchestration.publish.statements.render import (
    html_to_pdf,
    index_csv,
    index_html,
    index_rows,
    safe_name,
    statement_csv,
    statement_html,
)


def statement_path(home: Path, month: date, employee_id: str, suffix: str = ".html") -> Path:
    """Where the statement of a rep for a month is written: HOME/statements/<YYYY-MM>/<id><suffix>."""
    return Path(home) / "statements" / f"{month:%Y-%m}" / f"{safe_name(employee_id)}{suffix}"


def write_statements(home: Path, period: str, pdf: bool = True) -> tuple[Path, int]:
    """Write the statements of month `period` (YYYY-MM) for the publication of `home`;
    returns the folder and the number of statements. Raises NoCommissionData, writing
    nothing, when no plan period containing the month has commission data.

    `pdf=False` writes the CSV and HTML only: WeasyPrint lays a statement out in about
    0.15 s, which the daily build does not pay for every rep (the `statements` command
    writes the PDFs finance files)."""
    month = parse_month(period)
    home = Path(home)
    publication = current_publication(home) or {}
    statements = read_statements(home / "published" / RESTRICTED_FILE, month)
    folder = statement_path(home, month, "").parent
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
        name = safe_name(statement.employee_id)
        html = statement_html(statement, publication)
        (staging / f"{name}.csv").write_text(statement_csv(statement, publication), encoding="utf-8")
        (staging / f"{name}.html").write_text(html, encoding="utf-8")
        if pdf:
            (staging / f"{name}.pdf").write_bytes(html_to_pdf(html))
    rows = index_rows(statements, pdf)
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
