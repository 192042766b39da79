"""Publishing: copy the marts of the working database into a separate read-only artefact.

BI tools never open the working database (DuckDB: one writer, and a reader blocks it). Each
publication is written to a new file beside the published one and moved into place with an
atomic rename, pinned to a storage version that DuckDB 1.4 readers can open. Restricted
marts (dbt meta `restricted`) go to restricted.duckdb, never to bi.duckdb.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

STORAGE_VERSION = "v1.4.0"
BI_FILE = "bi.duckdb"
RESTRICTED_FILE = "restricted.duckdb"


@dataclass(frozen=True)
class Mart:
    name: str
    schema: str
    restricted: bool


def _is_restricted(node: dict[str, Any]) -> bool:
    meta = node.get("config", {}).get("meta", {}) | node.get("meta", {})
    return bool(meta.get("restricted")) or any(
        col.get("meta", {}).get("restricted") or col.get("config", {}).get("meta", {}).get(
            "restricted"
        )
        for col in node.get("columns", {}).values()
    )


def marts_from_manifest(manifest_path: Path) -> list[Mart]:
    """Every model in the marts schema, with whether it holds restricted data."""
    manifest = json.loads(manifest_path.read_text())
    return sorted(
        (
            Mart(node["name"], node["config"]["schema"], _is_restricted(node))
            for node in manifest["nodes"].values()
            if node["resource_type"] == "model" and node["config"].get("schema") == "marts"
        ),
        key=lambda m: m.name,
    )


def _write_database(warehouse: Path, target: Path, marts: list[Mart]) -> dict[str, int]:
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    counts = {}
    con = duckdb.connect()
    try:
        con.execute(f"attach '{warehouse}' as wh (read_only)")
        con.execute(f"attach '{tmp}' as pub (storage_version '{STORAGE_VERSION}')")
        con.execute("create schema pub.marts")
        for mart in marts:
            con.execute(
                f"create table pub.marts.{mart.name} as select * from wh.{mart.schema}.{mart.name}"
            )
            counts[mart.name] = con.execute(
                f"select count(*) from pub.marts.{mart.name}"
            ).fetchall()[0][0]
        con.execute("detach pub")
        con.execute("detach wh")
    finally:
        con.close()
    os.replace(tmp, target)
    return counts


def publish(warehouse: Path, published_dir: Path, marts: list[Mart]) -> dict[str, dict[str, int]]:
    """Write bi.duckdb (unrestricted marts) and restricted.duckdb; return row counts per file."""
    published_dir.mkdir(parents=True, exist_ok=True)
    return {
        BI_FILE: _write_database(
            warehouse, published_dir / BI_FILE, [m for m in marts if not m.restricted]
        ),
        RESTRICTED_FILE: _write_database(
            warehouse, published_dir / RESTRICTED_FILE, [m for m in marts if m.restricted]
        ),
    }
