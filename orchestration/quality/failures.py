"""What a failed dbt test or model says to the person reading the build: the failing rows with
their identity (key, source file, line), kept queryable in schema `audit`.

Once dbt has exited (DuckDB lets one process hold the working database), every data test that
failed or warned gets a view in schema `audit` made from its compiled SQL (run_results.json),
named like the test, and views of tests that no longer fail are dropped: `audit` holds what
failed in the latest build, queryable until the next one. The project's generic tests return
whole rows (macros/generic_tests.sql), so a sample names the record, not only the bad value.
(dbt's own `store_failures` would store every test's failures, five statements per test on
every build, for the few that fail.)
"""

from __future__ import annotations

import json
from typing import Any

import duckdb

SAMPLE_ROWS = 5
IDENTITY_COLUMNS = ("source_file", "source_line", "_source_file", "_line")


def _grain(node: dict[str, Any], manifest: dict[str, Any]) -> list[str]:
    """The key columns of the model or source a test is attached to: a source's contract key,
    else the columns a `unique` test covers."""
    attached = node.get("attached_node") or next(iter(node["depends_on"]["nodes"]), None)
    if attached in manifest.get("sources", {}):
        return list(manifest["sources"][attached].get("meta", {}).get("key", []))
    return [
        other["column_name"]
        for other in manifest["nodes"].values()
        if other["resource_type"] == "test"
        and other.get("attached_node") == attached
        and other.get("test_metadata", {}).get("name") == "unique"
        and other.get("column_name")
    ]


def failing_rows(
    con: duckdb.DuckDBPyConnection, node: dict[str, Any], manifest: dict[str, Any]
) -> list[str]:
    """Up to SAMPLE_ROWS failing rows of a dbt test, each as one line of JSON that starts
    with the row's identity (its key, the tested column, the landing file and line), then the
    rest of the row."""
    schema = node["config"].get("schema") or "audit"
    try:
        cursor = con.execute(f'select * from {schema}."{node["alias"]}" limit {SAMPLE_ROWS}')
    except duckdb.Error:  # no failing rows were stored for the test
        return []
    names = [d[0] for d in cursor.description]
    first = [*_grain(node, manifest), node.get("column_name"), *IDENTITY_COLUMNS]
    order = [n for n in first if n in names] + [n for n in names if n not in first]
    rows = [dict(zip(names, r)) for r in cursor.fetchall()]
    return [json.dumps({n: row[n] for n in order}, default=str) for row in rows]


def store_failing_rows(
    con: duckdb.DuckDBPyConnection, failed: list[dict[str, Any]], manifest: dict[str, Any]
) -> None:
    """Make schema audit hold one view per failed or warned data test of this run, over its
    compiled SQL, and nothing else."""
    con.execute("create schema if not exists audit")
    for (name,) in con.execute(
        "select view_name from duckdb_views() where schema_name = 'audit' and not internal"
    ).fetchall():
        con.execute(f'drop view audit."{name}"')
    for result in failed:
        node = manifest["nodes"].get(result["unique_id"], {})
        if node.get("resource_type") == "test" and result.get("compiled_code"):
            schema = node["config"].get("schema") or "audit"
            con.execute(f"create schema if not exists {schema}")
            con.execute(
                f'create or replace view {schema}."{node["alias"]}" as {result["compiled_code"]}'
            )


def failed_nodes(run_results: dict[str, Any]) -> list[dict[str, Any]]:
    """Every node of a dbt run that did not pass: failed or warned tests, errored models."""
    return [r for r in run_results["results"] if r["status"] in ("fail", "warn", "error")]


def describe(result: dict[str, Any], samples: list[str]) -> str:
    """One failed node of a dbt run, for the build summary and the Dagster UI."""
    failures = result.get("failures")
    head = result.get("message") or result["status"]
    if failures is not None and result["status"] in ("fail", "warn"):
        head = f"{failures} failing row(s)"
    lines = [head] + [f"  {row}" for row in samples]
    if samples and failures and failures > len(samples):
        lines.append(f"  ... {failures - len(samples)} more")
    return "\n".join(lines)
