"""Blocking Dagster asset checks beyond dbt's tests: a Great Expectations suite per mart
(orchestration/quality/suites.py). The ingest step's own checks (freshness, files within
contract, nothing skipped) are in orchestration/ingest/checks.py.

dbt's own tests become asset checks through dagster-dbt (transform/assets.py); those of
severity error fail the dbt step. A check here that fails with severity ERROR stops the run
before publishing; WARN is reported and does not block.
"""

from pathlib import Path

import dagster as dg

from orchestration.publish.publisher import (
    CorruptPublication,
    current_publication,
    marts_from_manifest,
)
from orchestration.quality.suites import failure_report, run_suites
from orchestration.resources import Warehouse
from orchestration.transform.project import dbt_manifest


def _mart_nodes() -> dict[str, dict]:
    """The marts' manifest nodes, by name."""
    return {
        node["name"]: node
        for node in dbt_manifest()["nodes"].values()
        if node["resource_type"] == "model" and node["config"].get("schema") == "marts"
    }


def _mart_key(name: str) -> dg.AssetKey:
    return dg.AssetKey(["marts", name])


@dg.multi_asset_check(
    specs=[
        dg.AssetCheckSpec(
            "gx_suite",
            asset=_mart_key(mart.name),
            blocking=True,
            description="Great Expectations suite: volume against the previous publication "
            "and the expectations in the model's meta.quality.",
        )
        for mart in marts_from_manifest(dbt_manifest())
    ],
    name="gx_mart_suites",
)
def gx_mart_suites(context: dg.AssetCheckExecutionContext, warehouse: Warehouse):
    try:
        previous = current_publication(Path(warehouse.home)) or {}
    except CorruptPublication as error:
        # The build recovers: without a readable previous publication there is no volume
        # band to hold the marts to, as on a first build. Publishing writes a new manifest.
        context.log.warning(f"{error}: treated as absent, so no volume check this build")
        previous = {}
    previous_rows = {name: m.get("rows") for name, m in previous.get("marts", {}).items()}
    # One GX data source for every mart; it releases the working database before any result
    # is yielded, so the step holds no DuckDB connection after this line.
    results = run_suites(
        warehouse.database_path,
        [(node, previous_rows.get(name)) for name, node in sorted(_mart_nodes().items())],
    )
    for result in results:
        name = result.mart
        report = failure_report(result)
        if report:
            context.log.warning(report)
        yield dg.AssetCheckResult(
            asset_key=_mart_key(name),
            check_name="gx_suite",
            passed=not result.failed,
            severity=dg.AssetCheckSeverity.ERROR
            if result.severity != "warn"
            else dg.AssetCheckSeverity.WARN,
            description=report or None,
            metadata={
                "rows": result.rows,
                "previous_rows": previous_rows.get(name),
                "expectations": len(result.outcomes),
                "failed": len(result.failed),
            },
        )
