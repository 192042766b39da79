"""Landing files -> raw DuckDB tables, checked against the source contracts, set by set.

Layout: <landing>/<source>/<YYYY-MM-DD>/<table>.<csv|parquet|jsonl>. All new or changed files
of a source are read at once by DuckDB's own readers, however many there are (`_read_files`):
CSV and .csv.gz line by line with read_csv, each line split into fields in SQL
(`_CSV_RECORDS`); Parquet with read_parquet. Then each table's rows are typed and checked
against its contract in one pass over all of its files (`_check_rows`): headers normalised
(camelCase or snake_case, BOM, Fivetran bookkeeping columns), a row that breaks the contract
to `raw._rejects` with file, line and reason, the rest to raw.<source>__<table>. So the
number of statements grows with the number of tables, not files, and rows never pass
through Python objects. Every file gets a row in `raw._load_ledger` with rows_in =
rows_loaded + rows_rejected and a status:

- `loaded`: the file's valid rows are in raw;
- `broken`: more than its table's reject_threshold of its rows were rejected (CONTRACTS.md);
- `failed`: the file could not be loaded at all (unreadable, not UTF-8, a required column
  missing); its rows count as rejected, and the message names the file and the problem;
- `ignored`: not a file of the contract (an unknown table or file type).

What a landing file holds is defined by Python's csv module (strict) and json module, as the
reference readers `read_csv`, `read_jsonl` and `read_parquet` below read it. DuckDB reads a
file only where its result is the same by construction: a CSV file of one newline style
whose lines DuckDB returns byte for byte (so valid UTF-8) and whose records are one line
each. The others (a quoted field across lines, mixed newlines, invalid UTF-8, a corrupt gzip
or Parquet file) and JSONL files (DuckDB's JSON parser accepts what Python's rejects, such as
trailing commas and NaN) are read by the reference readers, file by file, and their rows join
the same checks.

A broken or failed file does not stop ingestion: every file of every source is checked, so
one build reports every problem, and the ingest asset's `files_within_contract` check (which
reads the ledger) stops the build before publishing. A (source, day) is reloaded only when
its files changed, and a reload replaces exactly that day's rows, so loading is idempotent.
"""

from __future__ import annotations

import csv
import functools
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

    Raised by the readers; the file is recorded in the ledger as a failed file."""


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


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


@functools.cache
def normalise_header(name: str) -> str:
    """`StageName`, `stage_name`, ` Stage Name ` -> `stage_name`; `CurrencyIsoCode` ->
    `currency_iso_code`; `MQLDate` -> `mql_date`; `_fivetran_synced` stays as it is."""
    name = name.replace("\ufeff", "").strip()
    lead = "_" if name.startswith("_") else ""
    name = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name.lstrip("_"))
    name = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    name = re.sub(r"[^0-9a-zA-Z_]+", "_", name).strip("_")
    return lead + re.sub(r"_+", "_", name).lower()


def file_format(path: Path) -> str | None:
    """The landing format of a file by the end of its name (`.csv.gz` before `.csv`)."""
    return next((ext for ext in sorted(EXTENSIONS, key=len, reverse=True)
                 if path.name.lower().endswith(ext)), None)


def table_of(path: Path) -> str:
    """The table a landing file holds: its name without the format ending."""
    ext = file_format(path)
    return path.name[: -len(ext)] if ext else path.stem


# ---------------------------------------------------------------------------------------------
# The reference readers: (header, [(line, values)], [(line, reason, raw)]) of one file
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
        con.execute("set TimeZone = 'UTC'")  # as the warehouse connection reads it
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


# ---------------------------------------------------------------------------------------------
# Reading every file of a load at once: the records temp table
# ---------------------------------------------------------------------------------------------

# One row per physical line or Parquet row of the files being loaded. kind: `row`, as many
# fields as its header (text: the CSV line, or fields: the values), `malformed` (reason, and
# text: the lines as the file has them), `blank`, `header`, or `unparsed` (a line the SQL
# split cannot read exactly: its file goes to the reference reader). bytes: the line's
# length, to check that DuckDB read the whole file.
_RECORDS = """create or replace temp table _records (file_id integer, line bigint, bytes bigint,
    kind varchar, text varchar, fields varchar[], reason varchar)"""
# The files being loaded: where their rows go.
_FILES = """create or replace temp table _files (file_id integer, table_name varchar,
    batch_date date, relative varchar)"""
# A CSV field as Python's csv module reads it (strict, quotechar ", doublequote): a quoted
# field, or an unquoted one (a quote inside it is a plain character), or nothing.
_FIELD = r'"(?:[^"]|"")*"|[^,"][^,]*|'
# _csv_fields(line): the fields of a CSV line that is one whole record; null for a line with
# a quote that is not: a quoted field closed and then followed by something other than a
# comma (csv: `',' expected after '"'`, _BAD_QUOTE), or one that goes on past the line.
_CSV_FIELDS = f"""create or replace temp macro _csv_fields(line) as case
    when not contains(line, '"') then string_split(line, ',')
    when regexp_full_match(line, {_literal(f"(?:{_FIELD})(?:,(?:{_FIELD}))*")}) then list_transform(
        regexp_extract_all(',' || line, {_literal(f",({_FIELD})")}, 1),
        lambda v: case when starts_with(v, '"') then replace(v[2:-2], '""', '"') else v end)
end"""
_BAD_QUOTE = f'^(?:(?:{_FIELD}),)*"(?:[^"]|"")*"[^,"]'
# Python's csv module refuses a field longer than this (csv.field_size_limit()); a line that
# could hold one goes to the reference reader, which says so.
_FIELD_LIMIT = 131072
# read_csv's new_line option spells a newline with backslashes.
_NEW_LINES = {"\n": r"\n", "\r\n": r"\r\n", "\r": r"\r"}
# The lines of CSV files of one newline style ($paths, $ids, $ncols: each file's path, id
# and header width), read by DuckDB as they are (no quoting, no column splitting), numbered
# in file order, and classified.
_CSV_RECORDS = f"""
insert into _records
select file_id, line, bytes, kind, case when kind in ('row', 'malformed') then text end, null,
    case when kind = 'malformed' then 'malformed CSV line: ' || coalesce(
        'expected ' || ncols || ' fields, found ' || fields, $$',' expected after '"'$$) end
from (
    select *,
        case
            when line = 1 then 'header'
            when text is null then 'blank'
            when bytes > {_FIELD_LIMIT} then 'unparsed'
            when fields is null and regexp_matches(text, {_literal(_BAD_QUOTE)}) then 'malformed'
            when fields is null then 'unparsed'
            when fields != ncols then 'malformed'
            else 'row'
        end as kind
    from (
        select $ids[file_index::bigint + 1] as file_id, $ncols[file_index::bigint + 1] as ncols,
            n - min(n) over (partition by file_index) + 1 as line, text,
            coalesce(strlen(text), 0) as bytes, len(_csv_fields(text)) as fields
        from (
            select file_index, row_number() over () as n, text
            from read_csv($paths, columns = {{'text': 'varchar'}}, header = false, quote = '',
                escape = '', delim = '\x01', new_line = $new_line, strict_mode = false,
                auto_detect = false, ignore_errors = true, max_line_size = 1000000000)
        )
    )
)
"""


@dataclass
class _Landed:
    """One landing file being loaded: where it goes and what reading it found."""

    id: int
    path: Path
    relative: str
    contract: TableContract
    result: FileResult
    header: list[str] | None = None  # None: an empty file
    names: list[str] = field(default_factory=list)  # the normalised header
    # What DuckDB must return for a CSV file read line by line (None: the reference reader
    # reads it): its newline, its number of lines and the bytes of their text.
    shape: tuple[str, int, int] | None = None
    rows: int = 0  # records with as many fields as the header
    malformed: int = 0  # records that are not (rejected as malformed lines)
    malformed_rule: str = ""  # what a malformed line of it breaks: "malformed CSV line"


# Characters str.splitlines() breaks a line at and csv does not: the reference reader's raw
# text of a malformed record counts lines with splitlines(), so a file with one of them and a
# malformed record is read by it.
_SPLITLINES_ONLY = re.compile("[\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
_BOM = b"\xef\xbb\xbf"


def _csv_shape(landed: _Landed) -> None:
    """Read a CSV file's bytes once (streaming): its header, newline style, line count and
    text bytes, so DuckDB's line reader can be checked against them. Leaves `shape` None
    when DuckDB cannot read it exactly: mixed newlines, a header DuckDB cannot split, a
    corrupt gzip stream (the reference reader names the problem)."""
    path = landed.path
    opener = gzip.open if path.name.endswith(".gz") else open
    counts = Counter()
    first = b""
    size = 0
    previous = b""
    try:
        with opener(path, "rb") as fh:
            while chunk := fh.read(1 << 20):
                if size == 0 and chunk.startswith(_BOM):
                    chunk = chunk[len(_BOM):]
                if len(first) < (1 << 20) and not re.search(b"[\r\n]", first):
                    first += chunk[: 1 << 20]
                counts["\r"] += chunk.count(b"\r")
                counts["\n"] += chunk.count(b"\n")
                counts["\r\n"] += chunk.count(b"\r\n") + (previous == b"\r" and chunk[:1] == b"\n")
                size += len(chunk)
                previous = chunk[-1:]
    except (OSError, EOFError, gzip.BadGzipFile):
        return
    if counts["\r"] == 0:
        new_line = "\n"
    elif counts["\n"] == 0:
        new_line = "\r"
    elif counts["\r"] == counts["\n"] == counts["\r\n"]:
        new_line = "\r\n"
    else:
        return  # mixed newlines
    breaks = counts["\r"] + counts["\n"] - counts["\r\n"]
    lines = breaks + (size > 0 and previous not in (b"\r", b"\n"))
    if size:
        head = re.split(b"\r\n|\r|\n", first, maxsplit=1)
        if len(head) == 1 and size > len(first):
            return  # a header line longer than we look at
        try:
            header_text = head[0].decode("utf-8") + "\n"
            landed.header = next(csv.reader(io.StringIO(header_text, newline=""), strict=True))
        except (UnicodeDecodeError, csv.Error):
            return
    landed.shape = (new_line, lines, size - counts["\r"] - counts["\n"])


def _read_csv_files(con: duckdb.DuckDBPyConnection, files: list[_Landed]) -> list[_Landed]:
    """Append the records of these CSV files (each with its shape) to _records, read by
    DuckDB one newline style at a time; returns the files that must go to the reference
    reader instead."""
    python: list[_Landed] = []
    styles: dict[str, list[_Landed]] = {}
    for landed in files:
        if landed.shape:
            styles.setdefault(landed.shape[0], []).append(landed)
    for new_line, group in styles.items():
        try:
            con.execute(_CSV_RECORDS, {
                "paths": [str(f.path) for f in group], "ids": [f.id for f in group],
                "new_line": _NEW_LINES[new_line],
                "ncols": [len(f.header or []) for f in group],
            })
        except duckdb.Error:
            _drop_records(con, group)
            python += group
            continue
        # DuckDB skips a line it cannot decode and may split a line at a character it takes
        # for a newline: the lines it returned must add up to the file, byte for byte.
        read = {file_id: (lines, size, unparsed, malformed) for file_id, lines, size, unparsed,
                malformed in con.execute(
                    "select file_id, count(*), sum(bytes), count(*) filter (kind = 'unparsed'), "
                    "count(*) filter (kind = 'malformed') from _records "
                    "where list_contains(?, file_id) group by file_id", [[f.id for f in group]],
                ).fetchall()}
        for landed in group:
            lines, size, unparsed, malformed = read.get(landed.id, (0, 0, 0, 0))
            if (lines, size, unparsed) != landed.shape[1:] + (0,) or (
                malformed and _SPLITLINES_ONLY.search(_read_bytes(landed.path).decode("utf-8-sig"))
            ):
                python.append(landed)
    return python


def _read_parquet_files(con: duckdb.DuckDBPyConnection, files: list[_Landed]) -> list[_Landed]:
    """Append the rows of these Parquet files to _records, one read_parquet per schema;
    returns the files that must go to the reference reader (unreadable ones, whose error it
    names, and any whose columns clash with read_parquet's filename and row number)."""
    def schemas(of: list[_Landed]) -> list[tuple[str, list[str]]]:
        return con.execute(
            "select file_name, list(name || ' ' || coalesce(type, '') || ' ' || "
            "coalesce(logical_type, '') || ' ' || coalesce(num_children, 0) order by n) "
            "from (select *, row_number() over () as n from parquet_schema(?)) group by file_name",
            [[str(f.path) for f in of]],
        ).fetchall()

    if not files:
        return []
    try:
        found = schemas(files)
    except duckdb.Error:  # one unreadable file fails the read: find it (them)
        found = []
        for landed in files:
            try:
                found += schemas([landed])
            except duckdb.Error:
                pass
    unread = {str(f.path): f for f in files}
    groups: dict[tuple, list[_Landed]] = {}
    for path, schema in found:
        if path in unread:
            groups.setdefault(tuple(schema), []).append(unread.pop(path))
    python = list(unread.values())  # unreadable ones
    for group in groups.values():
        try:
            header = [d[0] for d in con.execute(
                "select * from read_parquet(?) limit 0", [str(group[0].path)]).description]
            if {"file_index", "file_row_number"} & set(header):
                raise duckdb.Error("column names clash with read_parquet's")
            values = ", ".join(f"cast({quote(h)} as varchar)" for h in header)
            con.execute(
                "insert into _records select $ids[file_index::bigint + 1], file_row_number + 1, "
                f"0, 'row', null, [{values}]::varchar[], null "
                "from read_parquet($paths, file_row_number = true)",
                {"paths": [str(f.path) for f in group], "ids": [f.id for f in group]},
            )
        except duckdb.Error:
            _drop_records(con, group)
            python += group
            continue
        for landed in group:
            landed.header = header
    return python


def _drop_records(con: duckdb.DuckDBPyConnection, files: list[_Landed]) -> None:
    """Forget what DuckDB read of these files: the reference reader reads them instead."""
    con.execute("delete from _records where list_contains(?, file_id)", [[f.id for f in files]])


def _read_in_python(con: duckdb.DuckDBPyConnection, files: list[_Landed]) -> None:
    """Read these files with the reference readers and append their records to _records."""
    columns: dict[str, list] = {"file_id": [], "line": [], "kind": [], "fields": [],
                                "reason": [], "text": []}

    def add(file_id, line, kind, fields=None, reason=None, text=None):
        for name, value in zip(columns, (file_id, line, kind, fields, reason, text)):
            columns[name].append(value)

    for landed in files:
        try:
            header, rows, malformed = READERS[file_format(landed.path)](landed.path)
        except ContractError as error:
            landed.result.status, landed.result.message = FAILED, str(error)
            continue
        landed.header = header
        for line, values in rows:
            add(landed.id, line, "row", values)
        for line, reason, raw in malformed:
            add(landed.id, line, "malformed", reason=reason, text=raw)
    _insert(con, "_records", columns)


def _read_files(con: duckdb.DuckDBPyConnection, files: list[_Landed]) -> None:
    """Fill _files and _records for these landing files; set each one's header and names,
    and record in its result a file that cannot be loaded (unreadable, a header that two
    columns map to one name, a required column missing) as failed."""
    csv_files = [f for f in files if file_format(f.path) in (".csv", ".csv.gz")]
    for landed in csv_files:
        _csv_shape(landed)
    con.execute(_RECORDS)
    con.execute(_FILES)
    con.execute(_CSV_FIELDS)
    _insert(con, "_files", {
        "file_id": [f.id for f in files],
        "table_name": [f.contract.name for f in files],
        "batch_date": [f.result.batch_date for f in files],
        "relative": [f.relative for f in files],
    })
    python = _read_csv_files(con, [f for f in csv_files if f.shape])
    python += [f for f in csv_files if not f.shape]
    python += _read_parquet_files(con, [f for f in files if file_format(f.path) == ".parquet"])
    python += [f for f in files if file_format(f.path) in (".jsonl", ".jsonl.gz")]
    if python:
        _drop_records(con, python)
        _read_in_python(con, python)
    counts = {
        file_id: counts for file_id, *counts in con.execute(
            "select file_id, count(*) filter (kind = 'row'), count(*) filter (kind = 'malformed'), "
            "coalesce(any_value(split_part(reason, ':', 1)) filter (kind = 'malformed'), '') "
            "from _records group by file_id"
        ).fetchall()
    }
    for landed in files:
        result = landed.result
        if result.status == FAILED:
            continue
        landed.rows, landed.malformed, landed.malformed_rule = counts.get(landed.id, (0, 0, ""))
        result.rows_in = landed.rows + landed.malformed
        header = landed.header or []
        landed.names = [normalise_header(h) or f"column_{i + 1}" for i, h in enumerate(header)]
        seen: dict[str, str] = {}
        for original, name in zip(header, landed.names):
            if name in seen:
                result.message = (f"{landed.path}: columns {seen[name]!r} and {original!r} "
                                  f"both map to {name!r}")
                break
            seen[name] = original
        if header and not result.message:
            result.message = _missing_columns_message(landed.path, landed.contract, landed.names)
        if result.message:
            result.status, result.rows_rejected = FAILED, result.rows_in


# ---------------------------------------------------------------------------------------------
# Typing and checking rows in DuckDB, one table at a time
# ---------------------------------------------------------------------------------------------


def _coerce(column: str, typ: str) -> str:
    """The expression that types a text column; null when a present value does not coerce."""
    text = f"nullif(trim({quote(column)}), '')"
    return {
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


@dataclass
class _Checks:
    """How one table's rows are typed and checked, as SQL over their text columns (a column
    a file lacks is null, which breaks no rule: a file lacking a required column has failed)."""

    typed: dict[str, str]  # {typed column alias: expression over the text columns}
    # [(broken, reason, rule)]: when a row breaks a rule, over its text and typed columns, and
    # how it says so: a reason quotes the value, a rule does not (the commonest rule names a
    # broken file).
    problems: list[tuple[str, str, str]]
    raw: dict[str, str]  # {raw table column: expression over the typed columns and the row's
    # __batch_date, __relative and __line}


def _checks(contract: TableContract, extras: list[str], loaded_at: datetime) -> _Checks:
    checks = _Checks({}, [], {})
    columns = [(c.name, c.type, c.required) for c in contract.columns]
    for name, typ, required in columns + [(n, t, False) for n, t in FIVETRAN.items()]:
        alias = quote(f"__typed_{name}")
        checks.typed[alias] = _coerce(name, typ)
        checks.raw[name] = alias
        text = f"nullif(trim({quote(name)}), '')"
        checks.problems.append((
            f"({text} is not null and {alias} is null)",
            f"'column {name}: \"' || {quote(name)} || '\" is not a valid {typ}'",
            f"column {name} is not a valid {typ}",
        ))
        if required:
            rule = f"required column {name} is empty"
            checks.problems.append((f"{text} is null", _literal(rule), rule))
    for name in extras:
        checks.raw[name] = f"nullif({quote(name)}, '')"  # CSV cannot tell empty from null
    raw = checks.raw
    deleted = (
        f"(coalesce({raw['is_deleted']}, false) " if "is_deleted" in contract.column_names
        else "(false "
    ) + (
        f"or coalesce({raw['_fivetran_deleted']}, false) "
        f"or coalesce(not {raw['_fivetran_active']}, false))"
    )
    version = contract.version_column
    day_start = "cast(__batch_date as timestamp)"
    raw |= {
        "_batch_date": "__batch_date",
        "_source_file": "__relative",
        "_line": "__line",
        "_version_ts": f"coalesce({raw[version]}, {day_start})" if version else day_start,
        "_is_deleted": deleted,
        "_loaded_at": f"cast({_literal(loaded_at.isoformat(sep=' '))} as timestamp)",
    }
    return checks


def _load_tables(
    con: duckdb.DuckDBPyConnection, source: str, contracts: dict[str, TableContract],
    files: list[_Landed], loaded_at: datetime,
) -> None:
    """Load the files read into _records, table by table; the malformed lines of every file
    that did not fail go to raw._rejects first."""
    con.execute(
        "insert into raw._rejects select ?, f.table_name, f.batch_date, f.relative, r.line, "
        "r.reason, r.text from _records r join _files f using (file_id) "
        "where r.kind = 'malformed' and not list_contains(?, r.file_id)",
        [source, [f.id for f in files if f.result.status == FAILED]],
    )
    existing: dict[str, set[str]] = {}
    for table, column in con.execute(
        "select table_name, column_name from duckdb_columns() where database_name = "
        "current_database() and schema_name = 'raw' and starts_with(table_name, ?)",
        [f"{source}__"],
    ).fetchall():
        existing.setdefault(table, set()).add(column)
    for contract in contracts.values():
        of_table = [f for f in files if f.contract is contract]
        if of_table:
            _load_table(con, contract, of_table, loaded_at, existing[contract.raw_table])


def _load_table(
    con: duckdb.DuckDBPyConnection, contract: TableContract, files: list[_Landed],
    loaded_at: datetime, existing: set[str],
) -> None:
    """Check the rows of one table's files (read into _records; their malformed lines are in
    raw._rejects already) against its contract. Fills each file's result: rows loaded and
    rejected, and `broken` with the share and the commonest rule when its rejected share
    passes the table's threshold."""
    loadable = [f for f in files if f.result.status != FAILED]
    # How often each rule was broken: malformed lines first, as the reference reader counts
    # them, then each rule in the order of its first broken row.
    rules = {f.id: Counter({f.malformed_rule: f.malformed} if f.malformed else {})
             for f in loadable}
    rejected: Counter[int] = Counter()
    with_rows = [f for f in loadable if f.rows]
    if with_rows:
        for file_id, rule, rows in _check_rows(con, contract, with_rows, loaded_at, existing):
            if rule is None:
                rejected[file_id] = rows
            else:
                rules[file_id][rule] += rows
    for landed in loadable:
        result = landed.result
        result.rows_rejected = landed.malformed + rejected[landed.id]
        result.rows_loaded = landed.rows - rejected[landed.id]
        assert result.rows_in == result.rows_loaded + result.rows_rejected, result
        if result.rows_rejected > contract.reject_threshold * result.rows_in:
            rule, count = rules[landed.id].most_common(1)[0]
            result.status = BROKEN
            result.message = (
                f"{landed.path}: broken file: {result.rows_rejected} of {result.rows_in} rows "
                f"rejected ({result.rows_rejected / result.rows_in:.0%}), more than the "
                f"{contract.source}.{contract.name} threshold of {contract.reject_threshold:.0%}; "
                f"commonest reason: {rule} ({count} rows)"
            )


def _check_rows(
    con: duckdb.DuckDBPyConnection, contract: TableContract, files: list[_Landed],
    loaded_at: datetime, existing: set[str],
) -> list[tuple[int, str | None, int]]:
    """Type and check the well-formed rows of these files: append the valid ones to raw and
    the others to raw._rejects (with the row as JSON). Returns (file, rule, rows) of every
    rule broken, in the order of its first broken row, and (file, None, rows) of each file's
    rejected rows."""
    names = list(dict.fromkeys(n for f in files for n in f.names))
    extras = [n for n in names if n not in contract.column_names and n not in FIVETRAN]
    for name in extras:  # unknown columns are kept, as text
        if name not in existing:
            con.execute(f"alter table raw.{contract.raw_table} add column {quote(name)} varchar")
            existing.add(name)
    columns = list(dict.fromkeys([*contract.column_names, *FIVETRAN, *extras]))
    # Where each column is in each file's fields (1-based; null: the file lacks it).
    con.execute("create or replace temp table _positions (file_id integer, names varchar[], "
                + ", ".join(f"c{i} integer" for i in range(len(columns))) + ")")
    _insert(con, "_positions", {"file_id": [f.id for f in files], "names": [f.names for f in files]}
            | {f"c{i}": [f.names.index(name) + 1 if name in f.names else None for f in files]
               for i, name in enumerate(columns)})
    checks = _checks(contract, extras, loaded_at)
    # Every row of these files, its fields and where each column is in them.
    fields = ("select r.file_id as __file_id, r.line as __line, f.batch_date as __batch_date, "
              "f.relative as __relative, p.*, coalesce(r.fields, _csv_fields(r.text)) as __fields "
              "from _records r join _positions p using (file_id) join _files f using (file_id) "
              "where r.kind = 'row'")
    text = ", ".join(f"__fields[c{i}] as {quote(name)}" for i, name in enumerate(columns))
    typed = ", ".join(f"{expr} as {alias}" for alias, expr in checks.typed.items())
    rows = f"(select *, {typed} from (select __file_id, __line, __batch_date, __relative, {text} " \
           f"from ({fields})))"
    broken = ", ".join(broken for broken, _, _ in checks.problems)
    try:
        # Which rules each rejected row breaks. Valid rows are typed again on their way to
        # raw rather than held: a temp table dropped inside the transaction keeps its memory
        # until the commit, for every table of the source.
        con.execute(
            "create or replace temp table _rejected as select __file_id, __line, __broken "
            f"from (select __file_id, __line, [{broken}] as __broken from {rows}) "
            "where list_bool_or(__broken)"
        )
        select = ", ".join(f"{expr} as {quote(name)}" for name, expr in checks.raw.items())
        con.execute(
            f"insert into raw.{contract.raw_table} by name select {select} from {rows} "
            "anti join _rejected using (__file_id, __line)"
        )
        # A rejected row: its reasons, and the row as its file had it (every column of its
        # header, as text).
        reasons = ", ".join(reason for _, reason, _ in checks.problems)
        record = ("'{' || array_to_string(list_transform(names, lambda n, i: to_json(n) "
                  "|| ':' || coalesce(to_json(__fields[i]), 'null')), ',') || '}'")
        con.execute(
            "insert into raw._rejects select ?, ?, __batch_date, __relative, __line, "
            f"array_to_string(list_filter([{reasons}], lambda r, i: __broken[i]), '; '), "
            f"{record} from _rejected join (select *, {text} from ({fields})) "
            "using (__file_id, __line)",
            [contract.source, contract.name],
        )
        rules = ", ".join(_literal(rule) for _, _, rule in checks.problems)
        return con.execute(
            "select __file_id, rule, if(grouping(rule) = 1, count(distinct __line), count(*)) "
            f"from (select __file_id, __line, unnest(list_filter([{rules}], "
            "lambda r, i: __broken[i])) as rule from _rejected) "
            "group by grouping sets ((__file_id, rule), (__file_id)) "
            "order by __file_id, grouping(rule), min(__line), rule"
        ).fetchall()
    finally:
        con.execute("drop table if exists _positions")
        con.execute("drop table if exists _rejected")


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


def _delete_days(con: duckdb.DuckDBPyConnection, source: str, days: list[date]) -> None:
    for contract in load_contracts()[source].values():
        con.execute(f"delete from raw.{contract.raw_table} where list_contains(?, _batch_date)",
                    [days])
    for table in ("_rejects", "_load_ledger", "_loaded_days"):
        con.execute(f"delete from raw.{table} where source = ? and list_contains(?, batch_date)",
                    [source, days])


def _unloadable(path: Path, source: str, contracts: dict[str, TableContract]) -> str | None:
    """Why a landing file cannot be loaded (its name says no known format or table), if so."""
    if file_format(path) is None:
        return (f"unsupported file type (expected a name ending in one of "
                f"{', '.join(EXTENSIONS)}); not loaded")
    if normalise_header(table_of(path)) not in contracts:
        return (f"table {table_of(path)!r} is not in the {source} contract "
                f"(known: {', '.join(contracts)}); not loaded")
    return None


def _day_volumes(
    con: duckdb.DuckDBPyConnection, contracts: dict[str, TableContract], days: list[date]
) -> dict[date, dict[str, tuple[int, int]]]:
    """{day: {table: (rows, distinct keys)}} of these landing days in raw."""
    volumes = {day: {name: (0, 0) for name in contracts} for day in days}
    counts = " union all ".join(
        f"select {_literal(name)}, _batch_date, count(*), "
        f"count(distinct ({', '.join(quote(k) for k in contract.key)})) "
        f"from raw.{contract.raw_table} where list_contains($days, _batch_date) "
        "group by _batch_date"
        for name, contract in contracts.items()
    )
    for name, day, rows, keys in con.execute(counts, {"days": days}).fetchall():
        volumes[day][name] = (rows, keys)
    return volumes


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
        _delete_days(con, source, [day])
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
    and raw._skipped: the build decides what they stop, not the loader.

    The files of all changed days are read at once, before the transaction (into temp
    tables, so a reader that fails only sends its files to the reference reader), and each
    table is then checked and loaded in one pass over all of them."""
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
    for day in sorted(set(known) - set(days)):
        report.days_missing.append(day)
        report.skipped.append((
            str(landing / source / day.isoformat()),
            "a loaded day no longer in the landing folder; its rows are kept (drop them "
            f"with `salesops forget --source {source} --day {day.isoformat()}`)",
        ))
    # The changed days {day: fingerprint}; every file of them in day and name order, as
    # (result, relative path, sha256); and the ones a contract table loads.
    changed: dict[date, str] = {}
    files: list[tuple[FileResult, str, str | None]] = []
    landed: list[_Landed] = []
    for day, paths in sorted(days.items()):
        unloadable = {path: _unloadable(path, source, contracts) for path in paths}
        report.skipped += [(str(p), why) for p, why in unloadable.items() if why]
        hashes = {path: _sha256(path) for path in paths}
        fingerprint = hashlib.sha256(
            json.dumps([contract_hash] + [[p.name, h] for p, h in hashes.items()]).encode()
        ).hexdigest()
        if known.get(day) == fingerprint:
            report.days_unchanged.append(day)
            continue
        changed[day] = fingerprint
        for path, sha in hashes.items():
            relative = f"{source}/{day.isoformat()}/{path.name}"
            if unloadable[path]:
                result = FileResult(source, table_of(path), day, path, status=IGNORED,
                                    message=f"{path}: {unloadable[path]}")
            else:
                contract = contracts[normalise_header(table_of(path))]
                result = FileResult(source, contract.name, day, path)
                landed.append(_Landed(len(landed), path, relative, contract, result))
            files.append((result, relative, sha))
    try:
        if landed:
            _read_files(con, landed)
        con.begin()
        try:
            reloaded = [day for day in changed if day in known]
            before = _day_volumes(con, contracts, reloaded) if reloaded else {}
            if changed:
                _delete_days(con, source, list(changed))
            if landed:
                _load_tables(con, source, contracts, landed, loaded_at)
            after = _day_volumes(con, contracts, reloaded) if reloaded else {}
            ledger: list[tuple[FileResult, str, str | None]] = []
            for day in changed:
                ledger += [f for f in files if f[0].batch_date == day]
                for table, message in _shrinkage(
                    source, day, contracts, before.get(day, {}), after.get(day, {})
                ):
                    result = FileResult(source, table, day, landing / source / day.isoformat(),
                                        status=SHRUNK, message=message)
                    ledger.append((result, f"{source}/{day.isoformat()}/{table}", None))
                report.days_loaded.append(day)
            report.files = [result for result, _, _ in ledger]
            _record_load(con, source, ledger, changed, report.skipped, loaded_at)
            con.commit()
        except BaseException:
            con.rollback()
            raise
    finally:
        for table in ("_records", "_files"):
            con.execute(f"drop table if exists {table}")
        con.execute("drop macro if exists _csv_fields")
    return report


def _record_load(
    con: duckdb.DuckDBPyConnection, source: str, ledger: list[tuple[FileResult, str, str | None]],
    changed: dict[date, str], skipped: list[tuple[str, str]], loaded_at: datetime,
) -> None:
    """Write what a load did: one raw._load_ledger row per (result, relative path, sha256),
    the fingerprint of each day loaded, and what the landing folder holds that was not."""
    _insert(con, "raw._load_ledger", {
        "source": [r.source for r, _, _ in ledger],
        "table_name": [r.table for r, _, _ in ledger],
        "batch_date": [r.batch_date for r, _, _ in ledger],
        "source_file": [relative for _, relative, _ in ledger],
        "file_sha256": [sha for _, _, sha in ledger],
        "rows_in": [r.rows_in for r, _, _ in ledger],
        "rows_loaded": [r.rows_loaded for r, _, _ in ledger],
        "rows_rejected": [r.rows_rejected for r, _, _ in ledger],
        "status": [r.status for r, _, _ in ledger],
        "message": [r.message for r, _, _ in ledger],
        "loaded_at": [loaded_at] * len(ledger),
    })
    _insert(con, "raw._loaded_days", {
        "source": [source] * len(changed),
        "batch_date": list(changed),
        "fingerprint": list(changed.values()),
        "loaded_at": [loaded_at] * len(changed),
    })
    con.execute("delete from raw._skipped where source = ?", [source])
    _insert(con, "raw._skipped", {
        "source": [source] * len(skipped),
        "path": [path for path, _ in skipped],
        "reason": [reason for _, reason in skipped],
    })


def _insert(con: duckdb.DuckDBPyConnection, table: str, columns: dict[str, list]) -> None:
    """Insert rows, given column by column as Python lists, in one statement."""
    if next(iter(columns.values())):
        select = ", ".join(f"unnest(?) as {quote(name)}" for name in columns)
        con.execute(f"insert into {table} by name select {select}", list(columns.values()))
