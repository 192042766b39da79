"""Reading the statements from the published restricted database.

Only `<home>/published/restricted.duckdb`, opened read-only: never the working database, which
a build may be writing. The commission marts give the lines and the reconciliation; the rep's
and the plan's names come from `dim_commission_plan_periods` (restricted: never in bi.duckdb).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import duckdb

from orchestration.publish.statements.model import Statement, StatementError, statements_from_rows

NAMES_MART = "dim_commission_plan_periods"
# A plan period of table alias {t} that contains the month's first day.
_COVERING = "{t}.period_start <= ? and coalesce({t}.period_end, {t}.period_start) >= ?"


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list) -> list[dict[str, Any]]:
    cursor = con.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def read_statements(restricted_db: Path, month: date) -> list[Statement]:
    """Every rep's statement for the plan periods containing `month`, from the published
    restricted database (opened read-only)."""
    if not restricted_db.exists():
        raise StatementError(f"no published restricted database at {restricted_db}; run `salesops build` first")
    covering = _COVERING
    con = duckdb.connect(str(restricted_db), read_only=True)
    try:
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
    return statements_from_rows(month, lines, reconciliation, tiers, changes, plan_names, rep_names)
