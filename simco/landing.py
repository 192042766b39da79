"""Table layouts and the writer of landing day folders.

The writer keeps, per day, the rows emitted for each table: rows that may get a
newer version later go into a per-key dict (so a key changed twice on a day
lands once, in its last version); rows that never change are appended. The first
landing day is a full extract, so until it is written, append-only rows stream
into its files while the per-key rows wait in memory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from simco.timeutil import DAY, iso_date, iso_ts


@dataclass
class Table:
    source: str
    name: str
    columns: tuple[str, ...]
    text_columns: tuple[str, ...] = ()
    header: tuple[str, ...] = ()
    quote_idx: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if self.source == "crm":
            self.header = tuple(pascal(c) for c in self.columns) + ("_fivetran_synced",)
        else:
            self.header = self.columns
        self.quote_idx = tuple(self.columns.index(c) for c in self.text_columns)


def pascal(name: str) -> str:
    """split_owner_id -> SplitOwnerId (Salesforce API names of the standard fields)."""
    return "".join(part[:1].upper() + part[1:] for part in name.split("_"))


def _t(source: str, name: str, cols: str, text: str = "") -> Table:
    return Table(source, name, tuple(cols.split()), tuple(text.split()))


TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        _t(
            "crm",
            "account",
            "id name owner_id industry type billing_country annual_revenue "
            "currency_iso_code created_date system_modstamp is_deleted",
            "name",
        ),
        _t("crm", "user", "id name email user_role_id manager_id is_active created_date system_modstamp", "name"),
        _t("crm", "user_role", "id name parent_role_id", "name"),
        _t(
            "crm",
            "opportunity",
            "id account_id owner_id name type lead_source stage_name amount "
            "currency_iso_code probability forecast_category_name is_closed is_won close_date "
            "created_date system_modstamp is_deleted",
            "name",
        ),
        _t(
            "crm",
            "opportunity_history",
            "id opportunity_id created_date stage_name amount close_date probability forecast_category is_deleted",
        ),
        _t("crm", "opportunity_split", "id opportunity_id split_owner_id split_percentage system_modstamp is_deleted"),
        _t(
            "crm",
            "lead",
            "id owner_id company created_date status lead_source mql_date sql_date is_converted "
            "converted_date converted_opportunity_id converted_account_id system_modstamp is_deleted",
            "company",
        ),
        _t(
            "crm",
            "task",
            "id owner_id account_id who_id what_id type subject activity_date status created_date is_deleted",
        ),
        _t(
            "crm",
            "event",
            "id owner_id account_id who_id what_id type subject activity_date_time "
            "duration_in_minutes created_date is_deleted",
        ),
        _t("crm", "territory", "id name region segment"),
        _t("crm", "account_territory", "account_id territory_id system_modstamp is_deleted"),
        _t(
            "crm",
            "forecast_submission",
            "id forecaster_id period_start period_type submitted_at forecast_category amount currency_iso_code",
        ),
        _t(
            "hr",
            "employee",
            "employee_id crm_user_id full_name work_email hire_date termination_date "
            "termination_type termination_reason is_regretted updated_at",
            "full_name termination_reason",
        ),
        _t(
            "hr",
            "job_history",
            "employee_id effective_date end_date role team manager_employee_id territory_id fte",
            "team",
        ),
        _t("hr", "salary", "employee_id effective_date base_salary ote currency"),
        _t("comp", "comp_plan", "plan_id name period_type currency clawback_days payout_cap", "name"),
        _t("comp", "comp_plan_tier", "plan_id attainment_from attainment_to rate"),
        _t("comp", "plan_assignment", "employee_id plan_id effective_from effective_to"),
        _t("comp", "quota", "employee_id period_start period_type quota_amount currency"),
        _t("comp", "ramp_schedule", "plan_id tenure_month quota_share"),
        _t("comp", "spif", "spif_id name start_date end_date opportunity_type amount_per_deal currency", "name"),
        _t("comp", "commission_payout", "payout_id employee_id period_start amount currency paid_date"),
        _t("comp", "closed_period", "period_start period_type closed_on"),
        _t("comp", "fx_rate", "rate_date currency rate_to_reporting"),
    )
}
SOURCES = ("crm", "hr", "comp")
# Columns the generator writes beyond orchestration/ingest/contracts.yml, as a real CRM export
# has them (CONTRACTS.md: extra columns are kept, not rejected), besides the connector's
# _fivetran_synced on every CRM table. tests/test_simco.py holds TABLES to the contract plus these.
EXTRA_COLUMNS = {
    "account": ("currency_iso_code",),
    "lead": ("company",),
    "task": ("subject",),
    "event": ("subject",),
}


def _quote(v: str) -> str:
    # Same output as csv.QUOTE_MINIMAL with ',' and '"'.
    if "," in v or '"' in v or "\n" in v or "\r" in v:
        return '"' + v.replace('"', '""') + '"'
    return v


@dataclass
class _DayBuffer:
    keyed: dict[str, dict[object, str]] = field(default_factory=dict)
    appended: dict[str, list[str]] = field(default_factory=dict)


class Landing:
    """Collects emitted rows per landing day and writes `<out>/<source>/<day>/<table>.csv`."""

    def __init__(self, out: Path, first_day: int) -> None:
        self.out = out
        self.first_day = first_day
        self.buf = _DayBuffer()
        self.counts: dict[str, int] = {name: 0 for name in TABLES}
        self._stream: dict[str, object] = {}  # first-day files written while warming up
        self._first_sync = iso_ts(first_day * DAY + 23 * 3600 + 50 * 60)
        self.sync_for_first_day = True
        self._sync: dict[int, str] = {}

    def _line(self, table: Table, values: list[str], ts: int | None) -> str:
        for i in table.quote_idx:
            values[i] = _quote(values[i])
        if table.source == "crm":
            if self.sync_for_first_day:
                synced = self._first_sync
            else:
                # the connector's next 15-minute sync after the change (same day)
                bucket = (ts or 0) // 900
                synced = self._sync.get(bucket)
                if synced is None:
                    t = bucket * 900
                    synced = iso_ts(min(t + 900 + 120, (t // DAY + 1) * DAY - 30))
                    self._sync[bucket] = synced
            values.append(synced)
        return ",".join(values) + "\n"

    def emit(self, table: str, key: object, values: list[str], ts: int | None, final: bool) -> None:
        """Land one row version. `final`: this key is never emitted again."""
        t = TABLES[table]
        line = self._line(t, values, ts)
        if final:
            if self.sync_for_first_day:
                fh = self._stream.get(table)
                if fh is None:
                    fh = self._open(t, self.first_day)
                    self._stream[table] = fh
                fh.write(line)
                self.counts[table] += 1
            else:
                self.buf.appended.setdefault(table, []).append(line)
        else:
            self.buf.keyed.setdefault(table, {})[key] = line

    def _open(self, t: Table, day: int):
        folder = self.out / t.source / iso_date(day)
        folder.mkdir(parents=True, exist_ok=True)
        fh = open(folder / f"{t.name}.csv", "w", encoding="utf-8", newline="")
        fh.write(",".join(t.header) + "\n")
        return fh

    def end_day(self, day: int) -> None:
        """Write the day's files (before the first landing day: keep collecting)."""
        if day < self.first_day:
            return
        first = day == self.first_day
        for name, t in TABLES.items():
            appended = self.buf.appended.get(name, ())
            keyed = self.buf.keyed.get(name, {})
            fh = self._stream.pop(name, None)
            if fh is None and (appended or keyed or first):
                fh = self._open(t, day)
            if fh is None:
                continue
            fh.writelines(appended)
            fh.writelines(keyed.values())
            self.counts[name] += len(appended) + len(keyed)
            fh.close()
        # The CRM connector syncs every day, so a quiet CRM day is an empty folder. HR and
        # comp exports land only when something changed (CONTRACTS.md): a quiet day has no
        # folder at all, as in the field.
        (self.out / "crm" / iso_date(day)).mkdir(parents=True, exist_ok=True)
        self.buf = _DayBuffer()
        self.sync_for_first_day = False
