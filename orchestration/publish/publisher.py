"""Write-audit-publish, the publish half: make one audited build visible to BI, all at once.

BI tools never open the working database (DuckDB: one writer, and a reader blocks it). A
publication is a folder `<home>/publications/<id>/` holding

- `bi.duckdb`: every unrestricted mart, schema `marts`;
- `restricted.duckdb`: marts tagged restricted in dbt `meta` (never in bi.duckdb);
- `publication.json`: run id, time, as-of day, row counts and check results per mart.

`<home>/published` is a symlink to the current publication. It is swapped with one atomic
rename, so a reader resolving `published/bi.duckdb` sees either the whole previous
publication or the whole new one (today's funnel never sits beside yesterday's attainment),
and a reader that holds a file open keeps its snapshot until it reconnects. A build killed at
any moment leaves `published` untouched; its half-written folder is removed by the next
publish. The database files are written in a storage format DuckDB 1.4 readers can open.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

STORAGE_VERSION = "v1.4.0"
BI_FILE = "bi.duckdb"
RESTRICTED_FILE = "restricted.duckdb"
MANIFEST_FILE = "publication.json"
KEEP_PUBLICATIONS = 3


@dataclass(frozen=True)
class Mart:
    name: str
    schema: str
    restricted: bool


def _is_restricted(node: dict[str, Any]) -> bool:
    meta = node.get("config", {}).get("meta", {}) | node.get("meta", {})
    return bool(meta.get("restricted")) or any(
        col.get("meta", {}).get("restricted")
        or col.get("config", {}).get("meta", {}).get("restricted")
        for col in node.get("columns", {}).values()
    )


def marts_from_manifest(manifest: dict[str, Any]) -> list[Mart]:
    """Every model in the marts schema, with whether it holds restricted data."""
    return sorted(
        (
            Mart(node["name"], node["config"]["schema"], _is_restricted(node))
            for node in manifest["nodes"].values()
            if node["resource_type"] == "model" and node["config"].get("schema") == "marts"
        ),
        key=lambda m: m.name,
    )


class CorruptPublication(Exception):
    """The current publication's manifest cannot be read; the message names the file."""


def current_publication(home: Path) -> dict[str, Any] | None:
    """The manifest of the publication BI sees now, if any. Raises CorruptPublication, naming
    the file, when it is there but not a readable manifest."""
    path = home / "published" / MANIFEST_FILE
    if not path.exists():
        return None
    try:
        manifest = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise CorruptPublication(f"{path.resolve()} is not a readable publication manifest ({error})") from error
    if not isinstance(manifest, dict):
        raise CorruptPublication(f"{path.resolve()} is not a readable publication manifest (not a JSON object)")
    return manifest


def _write_database(warehouse: Path, target: Path, marts: list[Mart]) -> dict[str, int]:
    counts = {}
    con = duckdb.connect()
    try:
        con.execute(f"attach '{warehouse}' as wh (read_only)")
        con.execute(f"attach '{target}' as pub (storage_version '{STORAGE_VERSION}')")
        con.execute("create schema pub.marts")
        for mart in marts:
            con.execute(
                f"create table pub.marts.{mart.name} as select * from wh.{mart.schema}.{mart.name}"
            )
            counts[mart.name] = con.execute(
                f"select count(*) from pub.marts.{mart.name}"
            ).fetchall()[0][0]
        con.execute("checkpoint pub")
        con.execute("detach pub")
        con.execute("detach wh")
    finally:
        con.close()
    return counts


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove_stale(home: Path, keep: str) -> None:
    """Remove half-written publications and all but the newest KEEP_PUBLICATIONS."""
    root = home / "publications"
    done = []
    for entry in root.iterdir():
        if entry.name.endswith(".tmp"):
            shutil.rmtree(entry, ignore_errors=True)
        elif entry.is_dir():
            done.append(entry)
    done.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    for old in done[KEEP_PUBLICATIONS:]:
        if old.name != keep:
            shutil.rmtree(old, ignore_errors=True)
    for link in home.glob(".published.*.tmp"):  # left by a build killed mid-swap
        link.unlink(missing_ok=True)


def publish(
    warehouse: Path, home: Path, publication_id: str, marts: list[Mart], manifest: dict[str, Any]
) -> dict[str, Any]:
    """Publish the marts of the working database as one new publication; return its manifest.

    `manifest` (run id, as-of day, check results...) is completed with row counts per mart
    and written as publication.json inside the publication."""
    root = home / "publications"
    root.mkdir(parents=True, exist_ok=True)
    staging = root / f"{publication_id}.tmp"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    files = {
        BI_FILE: [m for m in marts if not m.restricted],
        RESTRICTED_FILE: [m for m in marts if m.restricted],
    }
    marts_manifest = manifest.setdefault("marts", {})
    for file, file_marts in files.items():
        for name, rows in _write_database(warehouse, staging / file, file_marts).items():
            marts_manifest.setdefault(name, {}).update(file=file, rows=rows)
    (staging / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2, sort_keys=True))
    for file in [*files, MANIFEST_FILE]:
        _fsync(staging / file)
    final = root / publication_id
    shutil.rmtree(final, ignore_errors=True)
    os.rename(staging, final)
    _fsync(root)

    link = home / "published"
    if link.exists() and not link.is_symlink():  # a plain folder from an older layout
        os.rename(link, root / f"{publication_id}-previous")
    tmp_link = home / f".published.{publication_id}.tmp"
    tmp_link.unlink(missing_ok=True)
    os.symlink(Path("publications") / publication_id, tmp_link)
    os.replace(tmp_link, link)  # the atomic step: BI now sees the new publication
    _fsync(home)
    _remove_stale(home, keep=publication_id)
    return manifest
