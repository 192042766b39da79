"""The source contracts, loaded from contracts.yml (the project's one copy of CONTRACTS.md).

Ingestion checks and types every landing file with these; `dbt_sources_yaml` renders the
dbt source declarations from the same objects, so the two can never disagree.
"""

from __future__ import annotations

import functools
from datetime import date
from dataclasses import dataclass
from pathlib import Path

import yaml

CONTRACTS_FILE = Path(__file__).with_name("contracts.yml")
TYPES = ("str", "int", "decimal", "num", "bool", "date", "ts")
VERSION_COLUMNS = ("system_modstamp", "updated_at")
# CONTRACTS.md: a file whose rejected share passes its table's threshold is a broken file.
DEFAULT_REJECT_THRESHOLD = 0.5
# A re-delivered day may not cut a table's rows or keys by more than this share.
DEFAULT_REDELIVERY_DROP_THRESHOLD = 0.2
FRESHNESS_SEVERITIES = ("warn", "error")
# Bookkeeping columns every raw table carries besides its contract columns.
BOOKKEEPING = {
    "_batch_date": "date",
    "_source_file": "varchar",
    "_line": "bigint",
    "_version_ts": "timestamp",
    "_is_deleted": "boolean",
    "_loaded_at": "timestamp",
}


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    required: bool
    restricted: bool


@dataclass(frozen=True)
class TableContract:
    source: str
    name: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    optional_table: bool = False
    # A file of this table is broken when its rejected rows are more than this share of its rows.
    reject_threshold: float = DEFAULT_REJECT_THRESHOLD
    # A re-delivered day that cuts this table's rows or keys by more than this share is held.
    redelivery_drop_threshold: float = DEFAULT_REDELIVERY_DROP_THRESHOLD

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    @property
    def version_column(self) -> str | None:
        """The column that orders versions of a key (latest wins), if the table has one."""
        return next((c for c in VERSION_COLUMNS if c in self.column_names), None)

    @property
    def raw_table(self) -> str:
        return f"{self.source}__{self.name}"

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


def _parse_table(source: str, name: str, spec: dict) -> TableContract:
    optional = set(spec.get("optional", []))
    restricted = spec.get("restricted", [])
    columns = []
    for col, typ in spec["columns"].items():
        if typ not in TYPES:
            raise ValueError(f"contracts.yml: {source}.{name}.{col}: unknown type {typ!r}")
        columns.append(
            Column(col, typ, col not in optional, restricted == "all" or col in restricted)
        )
    key = tuple(spec["key"])
    unknown = (set(key) | optional | set(restricted if restricted != "all" else [])) - set(
        spec["columns"]
    )
    if unknown:
        raise ValueError(f"contracts.yml: {source}.{name}: unknown columns {sorted(unknown)}")
    thresholds = {
        "reject_threshold": float(spec.get("reject_threshold", DEFAULT_REJECT_THRESHOLD)),
        "redelivery_drop_threshold": float(
            spec.get("redelivery_drop_threshold", DEFAULT_REDELIVERY_DROP_THRESHOLD)
        ),
    }
    for setting, value in thresholds.items():
        if not 0 <= value < 1:
            raise ValueError(f"contracts.yml: {source}.{name}: {setting} must be in [0, 1)")
    return TableContract(
        source, name, key, tuple(columns), bool(spec.get("optional_table")), **thresholds
    )


@functools.cache
def _load(path: Path = CONTRACTS_FILE) -> dict:
    return yaml.safe_load(path.read_text())


@functools.cache
def load_contracts(path: Path = CONTRACTS_FILE) -> dict[str, dict[str, TableContract]]:
    """Every source's table contracts: {source: {table: TableContract}}."""
    return {
        source: {name: _parse_table(source, name, t) for name, t in spec["tables"].items()}
        for source, spec in _load(path).items()
    }


@dataclass(frozen=True)
class Freshness:
    """How old a source's latest delivery may be, and what a stale source does to the build."""

    days: int
    severity: str  # warn: reported and recorded in the publication; error: blocks publishing


def freshness(source: str, path: Path = CONTRACTS_FILE) -> Freshness:
    """The freshness rule of one source (contracts.yml freshness_days, freshness_severity)."""
    spec = _load(path)[source]
    severity = spec.get("freshness_severity", "warn")
    if severity not in FRESHNESS_SEVERITIES:
        raise ValueError(f"contracts.yml: {source}.freshness_severity: {severity!r} is not one "
                         f"of {', '.join(FRESHNESS_SEVERITIES)}")
    return Freshness(int(spec["freshness_days"]), severity)


def dbt_sources_yaml(source: str) -> str:
    """The dbt `sources:` YAML for one source, rendered from its contracts."""
    tables = []
    for contract in load_contracts()[source].values():
        columns = [
            {
                "name": c.name,
                "description": f"{c.type}{'' if c.required else ', optional'}"
                + (", restricted" if c.restricted else ""),
                **({"meta": {"restricted": True}} if c.restricted else {}),
                **({"data_tests": ["not_null"]} if c.name in contract.key and c.required else {}),
            }
            for c in contract.columns
        ]
        tables.append(
            {
                "name": contract.name,
                "identifier": contract.raw_table,
                "description": f"Every loaded version of {source}.{contract.name} "
                f"(key: {', '.join(contract.key)}).",
                "meta": {"key": list(contract.key), "dagster": {"asset_key": ["raw", source]}},
                "columns": columns,
                "data_tests": [
                    {
                        "no_conflicting_versions": {
                            "arguments": {
                                "key": list(contract.key),
                                "version_column": contract.version_column,
                                "columns": list(contract.column_names),
                            }
                        }
                    }
                ]
                if contract.version_column
                else [],
            }
        )
    doc = {
        "version": 2,
        "sources": [
            {
                "name": source,
                "schema": "raw",
                "description": f"Raw {source} landing files, every version, as loaded by the "
                f"ingest asset raw/{source}. Generated from orchestration/ingest/contracts.yml "
                "by `salesops contracts --write-dbt-sources`: do not edit by hand.",
                "tables": tables,
            }
        ],
    }
    header = "# Generated from orchestration/ingest/contracts.yml; do not edit by hand.\n"
    return header + yaml.safe_dump(doc, sort_keys=False, width=100)


def source_freshness(source: str, latest: date | None, as_of: date | None) -> dict:
    """How fresh one source is: its latest landing day on or before the as-of day, the lag,
    the allowed lag (contracts.yml freshness_days) and what a stale source does (severity).
    A missing day folder means "nothing changed" (CONTRACTS.md), so only the lag counts."""
    rule = freshness(source)
    lag = (as_of - latest).days if latest and as_of else None
    return {
        "latest_landing_day": str(latest) if latest else None,
        "as_of": str(as_of) if as_of else None,
        "lag_days": lag,
        "freshness_days": rule.days,
        "severity": rule.severity,
        "status": "fresh" if lag is not None and lag <= rule.days else "stale",
    }


def dbt_sources_files(project_root: Path) -> dict[Path, str]:
    """Each source's dbt sources file (models/staging/<source>/_<source>__sources.yml) and the
    text contracts.yml makes of it."""
    return {
        project_root / "models" / "staging" / source / f"_{source}__sources.yml": dbt_sources_yaml(source)
        for source in load_contracts()
    }
