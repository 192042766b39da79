"""`salesops docs`: the dbt docs site of this project and a home's warehouse, catalog
included (column types and row counts as built), with the marts' descriptions and the
metric definitions (models/marts/semantic).

dbt reads the catalog from a copy of the working database taken while holding the home's
lock, so docs never hold the warehouse while a build writes it (DuckDB: one writer, and a
reader blocks it), and never wait on one: a running build makes `salesops docs` stop with a
sentence saying so. dbt writes to a temporary target folder, never to HOME/dbt (a build's)
nor to dbt_project/target (the prepared manifest).
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from orchestration import runs
from orchestration.publish.publisher import marts_from_manifest
from orchestration.transform.project import DBT_EXECUTABLE, DBT_PROJECT_DIR

# What the written site holds: the page (dbt's static_index.html, which embeds the manifest
# and catalog so it opens from disk too) and the two artefacts it is made of.
SITE_FILES = {"static_index.html": "index.html", "manifest.json": "manifest.json", "catalog.json": "catalog.json"}


class DocsFailed(Exception):
    """The site could not be generated; the message says why and what to do."""


def undescribed(manifest: dict[str, Any]) -> list[str]:
    """Every mart, and every column of a mart, without a description ("mart" or
    "mart.column"): the docs site and BI tools have nothing to say about them."""
    missing = []
    for node in manifest["nodes"].values():
        if node["resource_type"] != "model" or node["config"].get("schema") != "marts":
            continue
        if not node.get("description", "").strip():
            missing.append(node["name"])
        missing += [f"{node['name']}.{column['name']}" for column in node["columns"].values()
                    if not column.get("description", "").strip()]
    return sorted(missing)


def _copy_warehouse(home: Path, dest: Path) -> Path:
    """Copy HOME/warehouse.duckdb into dest (same file name: dbt-duckdb names the database
    after it) while holding the home's lock."""
    source = home / "warehouse.duckdb"
    if not source.exists():
        raise DocsFailed(f"no warehouse at {source}: build one first (`salesops build --home {home}`)")
    with runs.holding(home, "salesops docs",
                      lambda busy: DocsFailed(f"{busy}; run `salesops docs` again when it has finished")):
        copy = dest / source.name
        shutil.copyfile(source, copy)
        wal = source.with_name(source.name + ".wal")
        if wal.exists():
            shutil.copyfile(wal, copy.with_name(wal.name))
        return copy


def generate(home: Path, site: Path) -> Path:
    """Run `dbt docs generate --static` against a copy of the home's warehouse and put the
    site in `site` (created); returns site/index.html."""
    with tempfile.TemporaryDirectory(prefix="salesops-docs-") as scratch:
        scratch = Path(scratch)
        warehouse = _copy_warehouse(home, scratch)
        target = scratch / "target"
        env = {**os.environ, "SALESOPS_WAREHOUSE": str(warehouse)}
        command = [
            str(DBT_EXECUTABLE), "docs", "generate", "--static",
            "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
            "--target-path", str(target), "--log-path", str(scratch / "logs"),
        ]
        done = subprocess.run(command, env=env, cwd=DBT_PROJECT_DIR, capture_output=True, text=True)
        if done.returncode != 0:
            tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
            raise DocsFailed(f"dbt docs generate failed (exit {done.returncode}):\n{tail}")
        site.mkdir(parents=True, exist_ok=True)
        for name, written in SITE_FILES.items():
            shutil.copyfile(target / name, site / written)
    return site / "index.html"


def warnings(site: Path) -> list[str]:
    """What a reader of the site would miss: marts not in the catalog (not built in this
    home) and marts or mart columns without a description."""
    manifest = json.loads((site / "manifest.json").read_text())
    catalog = json.loads((site / "catalog.json").read_text())
    built = {node["metadata"]["name"] for node in catalog["nodes"].values()}
    unbuilt = [m.name for m in marts_from_manifest(manifest) if m.name not in built]
    found = []
    if unbuilt:
        found.append(f"marts not in the warehouse's catalog (build the home again): {', '.join(unbuilt)}")
    if missing := undescribed(manifest):
        found.append(f"marts or mart columns without a description: {', '.join(missing)}")
    return found


def _warn(site: Path) -> None:
    for warning in warnings(site):
        print(f"salesops docs: warning: {warning}", file=sys.stderr)


def serve(site: Path, port: int) -> None:
    """Serve the site on 127.0.0.1 until Ctrl-C."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))

    def stop(_signum, _frame):
        raise KeyboardInterrupt

    # SIGTERM stops it like Ctrl-C, so the temporary site is removed either way.
    previous = signal.signal(signal.SIGTERM, stop)
    try:
        with http.server.ThreadingHTTPServer(("127.0.0.1", port), handler) as server:
            print(f"dbt docs on http://127.0.0.1:{port} (Ctrl-C stops)", file=sys.stderr, flush=True)
            server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)


def docs(home: Path, out: Path | None, port: int) -> int:
    """`salesops docs`: write the site to `out`, or serve it from a temporary folder."""
    try:
        if out is not None:
            index = generate(home, out)
            _warn(out)
            print(f"dbt docs of {home} written to {index}")
            return 0
        with tempfile.TemporaryDirectory(prefix="salesops-docs-site-") as site:
            generate(home, Path(site))
            _warn(Path(site))
            serve(Path(site), port)
        return 0
    except DocsFailed as failure:
        print(f"salesops docs: {failure}", file=sys.stderr)
        return 2
