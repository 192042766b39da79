"""Landing files -> raw DuckDB tables, checked against the source contracts.

Layout: <landing>/<source>/<YYYY-MM-DD>/<table>.<csv|parquet|jsonl>. Every file is read as
text, its headers normalised (camelCase or snake_case, BOM, Fivetran bookkeeping columns),
and every value coerced to its contract type in DuckDB. A row that breaks the contract goes
to `raw._rejects` with file, line and reason. Every file gets a row in `raw._load_ledger`
with rows_in = rows_loaded + rows_rejected and a status:

- `loaded`: the file's valid rows are in raw;
- `broken`: more than its table's reject_threshold of its rows were rejected (CONTRACTS.md);
- `failed`: the file could not be loaded at all (unreadable, not UTF-8, a required column
  missing); its rows count as rejected, and the message names the file and the problem;
- `ignored`: not a file of the contract (an unknown table or file type).

A broken or failed file does not stop ingestion: every file of every source is checked, so
one build reports every problem, and the ingest asset's `files_within_contract` check (which
reads the ledger) stops the build before publishing. A (source, day) is reloaded only when
its files changed, and a reload replaces exactly that day's rows, so loading is idempotent.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from orchestration.ingest.contracts import BOOKKEEPING, TableContract, load_contracts

# A landing file's format, by the end of its name; `.gz` is gzip-compressed text.
EXTENSIONS = (".csv", ".csv.gz", ".jsonl", ".jsonl.gz", ".parquet")
# Fivetran's bookkeeping columns: accepted on any table, typed, and folded into _is_deleted.
FIVETRAN = {"_fivetran_synced": "ts", "_fivetran_deleted": "bool", "_fivetran_active": "bool"}
SQL_TYPES = {
    "str": "varchar",
    "int": "bigint",
    "decimal": "decimal(38, 10)",
    "num": "decimal(38, 10)",
    "bool": "boolean",
    "date": "date",
    "ts": "timestamp",
}
DAY_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# CONTRACTS.md: a date may be written as a timestamp at midnight (Salesforce exports do):
# `2018-12-19 00:00:00`, `2018-12-19T00:00:00.000Z`, `2018-12-19 00:00:00 UTC`. Another time
# of day, or a non-zero offset, is not a date.
DATE_PATTERN = r"\d{4}-\d{2}-\d{2}([T ]00:00(:00(\.0+)?)? ?(Z|UTC|[+-]00(:?00)?)?)?"
# Part of every day's fingerprint: bump it when a loading rule changes (a type's accepted
# spellings, a status), so days loaded under the old rules are loaded again.
LOAD_RULES = "2: midnight dates, broken and failed files in the ledger"
# How a file ends up in the ledger; the last three stop the build before publishing.
LOADED, IGNORED, BROKEN, FAILED, SHRUNK = "loaded", "ignored", "broken", "failed", "shrunk"
BLOCKING = (BROKEN, FAILED, SHRUNK)
META_TABLES = {
    "_rejects": """source varchar, table_name varchar, batch_date date, source_file varchar,
        line bigint, reason varchar, record varchar""",
    "_load_ledger": """source varchar, table_name varchar, batch_date date, source_file varchar,
        file_sha256 varchar, rows_in bigint, rows_loaded bigint, rows_rejected bigint,
        status varchar, message varchar, loaded_at timestamp""",
    "_loaded_days": "source varchar, batch_date date, fingerprint varchar, loaded_at timestamp",
    # What the last ingest of each source saw in its landing folder and did not load.
    "_skipped": "source varchar, path varchar, reason varchar",
}


class ContractError(Exception):
    """A landing file that cannot be loaded at all; the message names the file and the problem.

    Raised by the readers; `load_file` records it in the ledger as a failed file."""


@dataclass
class FileResult:
    source: str
    table: str
    batch_date: date
    path: Path
    rows_in: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    status: str = LOADED
    message: str = ""

    @property
    def blocks(self) -> bool:
        """Whether this file stops the build before publishing."""
        return self.status in BLOCKING


@dataclass
class IngestReport:
    source: str
    days_loaded: list[date] = field(default_factory=list)
    days_unchanged: list[date] = field(default_factory=list)
    days_missing: list[date] = field(default_factory=list)  # loaded before, folder gone: kept
    files: list[FileResult] = field(default_factory=list)
    # (path, reason) of everything in the landing folder that was not loaded.
    skipped: list[tuple[str, str]] = field(default_factory=list)

    @property
    def warnings(self) -> list[str]:
        return [f"{path}: {reason}" for path, reason in self.skipped]

    @property
    def rows_loaded(self) -> int:
        return sum(f.rows_loaded for f in self.files)

    @property
    def rows_rejected(self) -> int:
        return sum(f.rows_rejected for f in self.files)

    @property
    def problems(self) -> list[FileResult]:
        """The files of this load that stop the build: broken or failed."""
        return [f for f in self.files if f.blocks]


def quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def normalise_header(name: str) -> str:
    """`StageName`, `stage_name`, ` Stage Name ` -> `stage_name`; `CurrencyIsoCode` ->
    `currency_iso_code`; `MQLDate` -> `mql_date`; `_fivetran_synced` stays as it is."""
    name = name.replace("\ufeff", "").strip()
    lead = "_" if name.startswith("_") else ""
    name = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name.lstrip("_"))
    name = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    name = re.sub(r"[^0-9a-zA-Z_]+", "_", name).strip("_")
    return lead + re.sub(r"_+", "_", name).lower()


# ---------------------------------------------------------------------------------------------
# Reading files as text: (header, [(line, values)], [(line, reason, raw)])
# ---------------------------------------------------------------------------------------------

ParsedFile = tuple[list[str], list[tuple[int, list[str | None]]], list[tuple[int, str, str]]]


def _read_bytes(path: Path) -> bytes:
    try:
        return gzip.decompress(path.read_bytes()) if path.name.endswith(".gz") else path.read_bytes()
    except (OSError, EOFError) as exc:  # gzip.BadGzipFile is an OSError
        raise ContractError(f"{path}: not a readable gzip file ({exc})") from exc


def read_csv(path: Path) -> ParsedFile:
    try:
        text = _read_bytes(path).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ContractError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise ContractError(f"{path}: unreadable CSV header: {exc}") from exc
    if header is None:
        return [], [], []
    lines = text.splitlines()
    rows: list[tuple[int, list[str | None]]] = []
    malformed: list[tuple[int, str, str]] = []
    line = reader.line_num
    while True:
        start = line + 1
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            line = reader.line_num
            raw = "\n".join(lines[start - 1 : line])
            malformed.append((start, f"malformed CSV line: {exc}", raw))
            continue
        line = reader.line_num
        if values == []:
            continue  # a blank line is not a row
        if len(values) != len(header):
            reason = f"malformed CSV line: expected {len(header)} fields, found {len(values)}"
            malformed.append((start, reason, "\n".join(lines[start - 1 : line])))
            continue
        rows.append((start, values))
    return header, rows, malformed


def read_jsonl(path: Path) -> ParsedFile:
    records: list[tuple[int, dict]] = []
    malformed: list[tuple[int, str, str]] = []
    try:
        text = _read_bytes(path).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ContractError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
            if not isinstance(record, dict):
                raise ValueError("not a JSON object")
        except ValueError as exc:
            malformed.append((number, f"malformed JSON line: {exc}", raw))
            continue
        # Each record names its own keys: normalise them here so Id in one and id in another
        # are one column.
        records.append((number, {normalise_header(k): v for k, v in record.items()}))
    header: list[str] = []
    for _, record in records:
        header.extend(k for k in record if k not in header)

    def text_of(value) -> str | None:
        if value is None:
            return None
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (dict, list)):
            return json.dumps(value)
        return str(value)

    rows = [(n, [text_of(r.get(k)) for k in header]) for n, r in records]
    return header, rows, malformed


def read_parquet(path: Path) -> ParsedFile:
    try:
        con = duckdb.connect()
        # One read: every column as text, the header from the same query.
        cursor = con.execute(
            f"select columns(*)::varchar from read_parquet({_literal(str(path))})"
        )
        header = [d[0] for d in cursor.description]
        data = cursor.fetchall()
    except duckdb.Error as exc:
        raise ContractError(f"{path}: unreadable Parquet file: {exc}") from exc
    return header, [(i, list(r)) for i, r in enumerate(data, start=1)], []


READERS = {
    ".csv": read_csv, ".csv.gz": read_csv,
    ".jsonl": read_jsonl, ".jsonl.gz": read_jsonl,
    ".parquet": read_parquet,
}


def file_format(path: Path) -> str | None:
    """The landing format of a file by the end of its name (`.csv.gz` before `.csv`)."""
    return next((ext for ext in sorted(EXTENSIONS, key=len, reverse=True)
                 if path.name.lower().endswith(ext)), None)


def table_of(path: Path) -> str:
    """The table a landing file holds: its name without the format ending."""
    ext = file_format(path)
    return path.name[: -len(ext)] if ext else path.stem


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


# ---------------------------------------------------------------------------------------------
# Typing rows in DuckDB
# ---------------------------------------------------------------------------------------------


def _coerce(column: str, typ: str) -> tuple[str, str]:
    """(typed expression, expression that is true when a present value does not coerce)."""
    text = f"nullif(trim({quote(column)}), '')"
    typed = {
        "str": text,
        "int": f"try_cast({text} as bigint)",
        "decimal": f"try_cast({text} as decimal(38, 10))",
        "num": f"try_cast({text} as decimal(38, 10))",
        "bool": f"(case lower({text}) when 'true' then true when '1' then true "
        f"when 't' then true when 'false' then false when '0' then false "
        f"when 'f' then false end)",
        "date": f"(case when regexp_full_match({text}, {_literal(DATE_PATTERN)}) "
        f"then try_cast(try_strptime(left({text}, 10), '%Y-%m-%d') as date) end)",
        "ts": f"try_cast(try_cast({text} as timestamptz) at time zone 'UTC' as timestamp)",
    }[typ]
    return typed, f"({text} is not null and {typed} is null)"


def ensure_raw_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create the raw schema, one table per contract table, and the ingestion meta tables."""
    con.execute("create schema if not exists raw")
    for name, columns in META_TABLES.items():
        con.execute(f"create table if not exists raw.{name} ({columns})")
    for tables in load_contracts().values():
        for contract in tables.values():
            cols = [f"{quote(c.name)} {SQL_TYPES[c.type]}" for c in contract.columns]
            cols += [f"{c} {SQL_TYPES[t]}" for c, t in FIVETRAN.items()]
            cols += [f"{c} {t}" for c, t in BOOKKEEPING.items()]
            con.execute(f"create table if not exists raw.{contract.raw_table} ({', '.join(cols)})")


def _missing_columns_message(path: Path, contract: TableContract, names: list[str]) -> str:
    missing = [c for c in contract.required_columns if c not in names]
    if not missing:
        return ""
    return (
        f"{path}: missing required column(s) {', '.join(missing)}; the "
        f"{contract.source}.{contract.name} contract requires "
        f"{', '.join(contract.required_columns)} (the file has {len(names)} column(s))"
    )


def load_file(
    con: duckdb.DuckDBPyConnection,
    contract: TableContract,
    path: Path,
    relative: str,
    batch_date: date,
    loaded_at: datetime,
) -> FileResult:
    """Check one landing file against its contract and append its valid rows to the raw table.

    Rows that break the contract go to raw._rejects. A file that cannot be loaded at all
    (unreadable, or lacking a required column) loads nothing and comes back `failed`, its
    rows counted as rejected; a file whose rejected share passes its table's threshold comes
    back `broken`. The message names the file, the problem and, for a broken file, the share
    and the commonest reason."""
    result = FileResult(contract.source, contract.name, batch_date, path)
    try:
        header, rows, malformed = READERS[file_format(path)](path)
    except ContractError as error:
        result.status, result.message = FAILED, str(error)
        return result
    names = [normalise_header(h) or f"column_{i + 1}" for i, h in enumerate(header)]
    result.rows_in = len(rows) + len(malformed)
    seen: dict[str, str] = {}
    for original, name in zip(header, names):
        if name in seen:
            result.message = f"{path}: columns {seen[name]!r} and {original!r} both map to {name!r}"
            break
        seen[name] = original
    if header and not result.message:
        result.message = _missing_columns_message(path, contract, names)
    if result.message:
        result.status, result.rows_rejected = FAILED, result.rows_in
        return result
    if malformed:
        con.executemany(
            "insert into raw._rejects values (?, ?, ?, ?, ?, ?, ?)",
            [
                (contract.source, contract.name, batch_date, relative, line, reason, raw)
                for line, reason, raw in malformed
            ],
        )
    rules: Counter[str] = Counter(reason.split(":")[0] for _, reason, _ in malformed)
    if rows:
        rules.update(_load_rows(con, contract, names, rows, relative, batch_date, loaded_at, result))
    result.rows_rejected += len(malformed)
    assert result.rows_in == result.rows_loaded + result.rows_rejected, result
    if result.rows_rejected > contract.reject_threshold * result.rows_in:
        rule, count = rules.most_common(1)[0]
        result.status = BROKEN
        result.message = (
            f"{path}: broken file: {result.rows_rejected} of {result.rows_in} rows rejected "
            f"({result.rows_rejected / result.rows_in:.0%}), more than the "
            f"{contract.source}.{contract.name} threshold of {contract.reject_threshold:.0%}; "
            f"commonest reason: {rule} ({count} rows)"
        )
    return result


def _load_rows(
    con, contract, names, rows, relative, batch_date, loaded_at, result
) -> Counter[str]:
    """Type the parsed rows in DuckDB, append the valid ones to raw and the others to
    raw._rejects; returns how often each rule was broken."""
    arrays = {
        name: pa.array([values[i] for _, values in rows], type=pa.string())
        for i, name in enumerate(names)
    }
    arrays["__line"] = pa.array([line for line, _ in rows], type=pa.int64())
    con.register("landing_rows", pa.table(arrays))
    try:
        typed: dict[str, str] = {}
        # (the reason a row gives, the rule it breaks): a reason quotes the value, a rule not.
        problems: list[tuple[str, str]] = []
        for col in contract.columns:
            if col.name not in names:
                typed[col.name] = f"cast(null as {SQL_TYPES[col.type]})"
                continue
            expr, bad = _coerce(col.name, col.type)
            typed[col.name] = expr
            problems.append((
                f"case when {bad} then 'column {col.name}: \"' || "
                f"{quote(col.name)} || '\" is not a valid {col.type}' end",
                f"case when {bad} then 'column {col.name} is not a valid {col.type}' end",
            ))
            if col.required:
                empty = f"nullif(trim({quote(col.name)}), '') is null"
                rule = f"'required column {col.name} is empty'"
                problems.append((f"case when {empty} then {rule} end",) * 2)
        for name, typ in FIVETRAN.items():
            if name in names:
                expr, bad = _coerce(name, typ)
                typed[name] = expr
                problems.append((
                    f"case when {bad} then 'column {name}: \"' || {quote(name)} || "
                    f"'\" is not a valid {typ}' end",
                    f"case when {bad} then 'column {name} is not a valid {typ}' end",
                ))
            else:
                typed[name] = f"cast(null as {SQL_TYPES[typ]})"
        extras = [n for n in names if n not in typed]
        for name in extras:
            con.execute(
                f"alter table raw.{contract.raw_table} add column if not exists "
                f"{quote(name)} varchar"
            )
            typed[name] = f"nullif({quote(name)}, '')"  # CSV cannot tell empty from null
        deleted = (
            f"(coalesce({typed['is_deleted']}, false) "
            if "is_deleted" in contract.column_names
            else "(false "
        ) + (
            f"or coalesce({typed['_fivetran_deleted']}, false) "
            f"or coalesce(not {typed['_fivetran_active']}, false))"
        )
        version = contract.version_column
        typed |= {
            "_batch_date": f"cast({_literal(batch_date.isoformat())} as date)",
            "_source_file": _literal(relative),
            "_line": "__line",
            "_version_ts": f"coalesce({typed[version]}, cast({_literal(batch_date.isoformat())} "
            "as timestamp))"
            if version
            else f"cast({_literal(batch_date.isoformat())} as timestamp)",
            "_is_deleted": deleted,
            "_loaded_at": f"cast({_literal(loaded_at.isoformat(sep=' '))} as timestamp)",
        }
        reasons = ", ".join(reason for reason, _ in problems) or "null"
        rules = ", ".join(rule for _, rule in problems)
        con.execute(
            f"create or replace temp table landing_checked as "
            f"select *, nullif(concat_ws('; ', {reasons}), '') as __reason, "
            f"list_filter([{rules}]::varchar[], lambda r: r is not null) as __rules from landing_rows"
        )
        select = ", ".join(f"{expr} as {quote(name)}" for name, expr in typed.items())
        con.execute(
            f"insert into raw.{contract.raw_table} by name "
            f"select {select} from landing_checked where __reason is null"
        )
        record = "to_json(struct_pack(" + ", ".join(
            f"{quote(n)} := {quote(n)}" for n in names
        ) + "))"
        con.execute(
            "insert into raw._rejects select ?, ?, ?, ?, __line, __reason, "
            f"cast({record} as varchar) from landing_checked where __reason is not null",
            [contract.source, contract.name, batch_date, relative],
        )
        broken = Counter(dict(con.execute(
            "select rule, count(*) from (select unnest(__rules) as rule from landing_checked) "
            "group by rule"
        ).fetchall()))
        rejected = con.execute(
            "select count(*) from landing_checked where __reason is not null"
        ).fetchall()[0][0]
    finally:
        con.unregister("landing_rows")
        con.execute("drop table if exists landing_checked")
    result.rows_rejected += rejected
    result.rows_loaded = len(rows) - rejected
    return broken


# ---------------------------------------------------------------------------------------------
# Landing days of a source
# ---------------------------------------------------------------------------------------------


def landing_days(
    landing: Path, source: str
) -> tuple[dict[date, list[Path]], list[tuple[str, str]]]:
    """The day folders of one source, {day: files}, and (path, reason) for everything else in
    the source's folder (a folder that is no YYYY-MM-DD day, a folder inside a day, a stray
    file): nothing in a landing folder is passed over without a word."""
    root = landing / source
    if not root.is_dir():
        return {}, [(str(root), f"no landing folder for source {source!r}; nothing loaded")]
    days: dict[date, list[Path]] = {}
    skipped: list[tuple[str, str]] = []
    for entry in sorted(root.iterdir()):
        if entry.name.startswith("."):
            continue
        try:
            if not (entry.is_dir() and DAY_PATTERN.match(entry.name)):
                raise ValueError
            day = date.fromisoformat(entry.name)
        except ValueError:
            skipped.append((str(entry), "not a YYYY-MM-DD day folder; not loaded"))
            continue
        days[day] = []
        for item in sorted(entry.iterdir()):
            if item.name.startswith("."):
                continue
            if item.is_file():
                days[day].append(item)
            else:
                skipped.append((str(item), "a folder inside a day folder; not loaded"))
    return days, skipped


def latest_landing_day(landing: Path) -> date | None:
    """The latest day folder of any source in a landing folder."""
    days = [day for source in load_contracts() for day in landing_days(landing, source)[0]]
    return max(days, default=None)


def ledger_problems(
    con: duckdb.DuckDBPyConnection, source: str, as_of: date | None
) -> list[tuple[str, str, str]]:
    """(file, status, message) of every broken, failed or shrunk file of a source landed on or before
    the as-of day, as the ledger holds them: a problem blocks every build until its day's
    files change, not only the build that first loaded it."""
    return con.execute(
        "select source_file, status, message from raw._load_ledger "
        "where source = ? and list_contains(?, status) and (? is null or batch_date <= ?) "
        "order by batch_date, source_file",
        [source, list(BLOCKING), as_of, as_of],
    ).fetchall()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _delete_day(con: duckdb.DuckDBPyConnection, source: str, day: date) -> None:
    for contract in load_contracts()[source].values():
        con.execute(f"delete from raw.{contract.raw_table} where _batch_date = ?", [day])
    for table in ("_rejects", "_load_ledger", "_loaded_days"):
        con.execute(f"delete from raw.{table} where source = ? and batch_date = ?", [source, day])


def _unloadable(path: Path, source: str, contracts: dict[str, TableContract]) -> str | None:
    """Why a landing file cannot be loaded (its name says no known format or table), if so."""
    if file_format(path) is None:
        return (f"unsupported file type (expected a name ending in one of "
                f"{', '.join(EXTENSIONS)}); not loaded")
    if normalise_header(table_of(path)) not in contracts:
        return (f"table {table_of(path)!r} is not in the {source} contract "
                f"(known: {', '.join(contracts)}); not loaded")
    return None


def _day_volume(
    con: duckdb.DuckDBPyConnection, contracts: dict[str, TableContract], day: date
) -> dict[str, tuple[int, int]]:
    """(rows, distinct keys) per table of one landing day in raw."""
    volume = {}
    for name, contract in contracts.items():
        key = ", ".join(quote(k) for k in contract.key)
        volume[name] = con.execute(
            f"select count(*), count(distinct ({key})) from raw.{contract.raw_table} "
            "where _batch_date = ?",
            [day],
        ).fetchall()[0]
    return volume


def _shrinkage(
    source: str, day: date, contracts: dict[str, TableContract],
    before: dict[str, tuple[int, int]], after: dict[str, tuple[int, int]],
) -> list[tuple[str, str]]:
    """(table, message) for each table a re-delivered day cut by more than its threshold."""
    found = []
    for name, (rows_before, keys_before) in before.items():
        rows_after, keys_after = after[name]
        limit = contracts[name].redelivery_drop_threshold
        drop = max(
            (rows_before - rows_after) / rows_before if rows_before else 0,
            (keys_before - keys_after) / keys_before if keys_before else 0,
        )
        if drop > limit:
            found.append((name, (
                f"{source}/{day.isoformat()}: re-delivered {source}.{name} has {rows_after} "
                f"rows ({keys_after} keys), {rows_before} rows ({keys_before} keys) before: "
                f"{drop:.0%} fewer, more than the allowed {limit:.0%}. Restore the day's files, "
                f"or accept the smaller day with `salesops forget --source {source} "
                f"--day {day.isoformat()}` and build again"
            )))
    return found


def forget_day(con: duckdb.DuckDBPyConnection, source: str, day: date) -> bool:
    """Remove one loaded landing day of a source from raw and the ledger: the explicit way to
    drop history (a landing folder that loses a day never does). True when it was loaded."""
    ensure_raw_tables(con)
    loaded = con.execute(
        "select count(*) from raw._loaded_days where source = ? and batch_date = ?", [source, day]
    ).fetchall()[0][0]
    con.begin()
    try:
        _delete_day(con, source, day)
        con.commit()
    except BaseException:
        con.rollback()
        raise
    return bool(loaded)


def ingest_source(
    con: duckdb.DuckDBPyConnection, landing: Path, source: str, loaded_at: datetime
) -> IngestReport:
    """Bring raw.<source>__* in line with the landing folder of one source, in one transaction.

    Days whose files are unchanged since their last load are skipped; changed or new days
    replace exactly their own rows. A loaded day whose folder is gone keeps its rows (landing
    folders are cleaned up by retention rules; that must not rewrite history): it is reported,
    and `forget_day` drops it explicitly. A re-delivered day that cuts a table by more than its
    redelivery_drop_threshold is recorded as `shrunk` and stops the build. Every file is
    checked and recorded in the ledger, broken and failed ones included (see
    `IngestReport.problems`), and everything not loaded is listed in `IngestReport.skipped`
    and raw._skipped: the build decides what they stop, not the loader."""
    contracts = load_contracts()[source]
    contract_hash = hashlib.sha256(
        json.dumps([LOAD_RULES] + [repr(c) for c in contracts.values()]).encode()
    ).hexdigest()
    report = IngestReport(source)
    days, report.skipped = landing_days(landing, source)
    con.execute("set TimeZone = 'UTC'")
    ensure_raw_tables(con)
    known = dict(
        con.execute(
            "select batch_date, fingerprint from raw._loaded_days where source = ?", [source]
        ).fetchall()
    )
    con.begin()
    try:
        for day in sorted(set(known) - set(days)):
            report.days_missing.append(day)
            report.skipped.append((
                str(landing / source / day.isoformat()),
                "a loaded day no longer in the landing folder; its rows are kept (drop them "
                f"with `salesops forget --source {source} --day {day.isoformat()}`)",
            ))
        for day, files in sorted(days.items()):
            unloadable = {path: _unloadable(path, source, contracts) for path in files}
            report.skipped += [(str(p), why) for p, why in unloadable.items() if why]
            hashes = {path: _sha256(path) for path in files}
            fingerprint = hashlib.sha256(
                json.dumps([contract_hash] + [[p.name, h] for p, h in hashes.items()]).encode()
            ).hexdigest()
            if known.get(day) == fingerprint:
                report.days_unchanged.append(day)
                continue
            before = _day_volume(con, contracts, day) if day in known else {}
            _delete_day(con, source, day)
            for path, sha in hashes.items():
                relative = f"{source}/{day.isoformat()}/{path.name}"
                if unloadable[path]:
                    result = FileResult(source, table_of(path), day, path, status=IGNORED)
                    result.message = f"{path}: {unloadable[path]}"
                else:
                    contract = contracts[normalise_header(table_of(path))]
                    result = load_file(con, contract, path, relative, day, loaded_at)
                report.files.append(result)
                _record(con, result, relative, sha, loaded_at)
            for table, message in _shrinkage(
                source, day, contracts, before, _day_volume(con, contracts, day) if before else {}
            ):
                result = FileResult(source, table, day, landing / source / day.isoformat(),
                                    status=SHRUNK, message=message)
                report.files.append(result)
                _record(con, result, f"{source}/{day.isoformat()}/{table}", None, loaded_at)
            con.execute(
                "insert into raw._loaded_days values (?, ?, ?, ?)",
                [source, day, fingerprint, loaded_at],
            )
            report.days_loaded.append(day)
        con.execute("delete from raw._skipped where source = ?", [source])
        if report.skipped:
            con.executemany(
                "insert into raw._skipped values (?, ?, ?)",
                [(source, path, reason) for path, reason in report.skipped],
            )
        con.commit()
    except BaseException:
        con.rollback()
        raise
    return report


def _record(con, result: FileResult, relative: str, sha: str | None, loaded_at: datetime) -> None:
    """One row of raw._load_ledger."""
    con.execute(
        "insert into raw._load_ledger values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            result.source, result.table, result.batch_date, relative, sha, result.rows_in,
            result.rows_loaded, result.rows_rejected, result.status, result.message, loaded_at,
        ],
    )
