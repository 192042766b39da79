"""Blocking Dagster asset checks beyond dbt's tests: source freshness (run inside each
ingest asset) and a Great Expectations suite per mart (orchestration/quality/suites.py).

dbt's own tests become asset checks through dagster-dbt (transform/assets.py); those of
severity error fail the dbt step. A check here that fails with severity ERROR stops the run
before publishing; WARN is reported and does not block.
"""

from datetime import date
from pathlib import Path

import dagster as dg

from orchestration.ingest.contracts import freshness_days
from orchestration.publish.publisher import current_publication, marts_from_manifest
from orchestration.quality.suites import failure_report, run_suite
from orchestration.resources import Warehouse
from orchestration.transform.project import dbt_manifest


def freshness_result(source: str, latest: date | None, as_of: date | None) -> dg.AssetCheckResult:
    """The freshness check of one source, run by its ingest asset (so that a stale source
    stops the build before dbt): its latest landing day on or before the as-of day may lag
    that day by at most contracts.yml freshness_days."""
    window = freshness_days(source)
    lag = (as_of - latest).days if latest and as_of else None
    passed = lag is not None and lag <= window
    return dg.AssetCheckResult(
        check_name="freshness",
        passed=passed,
        severity=dg.AssetCheckSeverity.ERROR,
        description=None
        if passed
        else f"{source} is stale: latest landing day {latest}, as of {as_of}, "
        f"allowed lag {window} day(s)",
        metadata={
            "latest_landing_day": str(latest),
            "as_of": str(as_of),
            "lag_days": lag,
            "freshness_days": window,
        },
    )


_MART_NODES = {
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
    previous = current_publication(Path(warehouse.home)) or {}
    previous_rows = {name: m.get("rows") for name, m in previous.get("marts", {}).items()}
    for name, node in sorted(_MART_NODES.items()):
        result = run_suite(warehouse.database_path, node, previous_rows.get(name))
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
