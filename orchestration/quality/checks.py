"""Blocking Dagster asset checks beyond dbt's tests: source freshness (run inside each
ingest asset) and a Great Expectations suite per mart (orchestration/quality/suites.py).

dbt's own tests become asset checks through dagster-dbt (transform/assets.py); those of
severity error fail the dbt step. A check here that fails with severity ERROR stops the run
before publishing; WARN is reported and does not block.
"""

from datetime import date
from pathlib import Path

import dagster as dg

from orchestration.ingest.contracts import freshness
from orchestration.publish.publisher import (
    CorruptPublication,
    current_publication,
    marts_from_manifest,
)
from orchestration.quality.suites import failure_report, run_suites
from orchestration.resources import Warehouse
from orchestration.transform.project import dbt_manifest


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


def freshness_result(source: str, latest: date | None, as_of: date | None) -> dg.AssetCheckResult:
    """The freshness check of one source, run by its ingest asset (so that a stale source
    configured to block stops the build before dbt). By default a stale source warns."""
    status = source_freshness(source, latest, as_of)
    passed = status["status"] == "fresh"
    return dg.AssetCheckResult(
        check_name="freshness",
        passed=passed,
        severity=dg.AssetCheckSeverity.ERROR
        if status["severity"] == "error"
        else dg.AssetCheckSeverity.WARN,
        description=None
        if passed
        else f"{source} is stale: latest landing day {latest}, as of {as_of}, "
        f"allowed lag {status['freshness_days']} day(s)",
        metadata={k: v for k, v in status.items() if v is not None},
    )


def contract_result(source: str, problems: list[tuple[str, str, str]]) -> dg.AssetCheckResult:
    """The broken-file gate of one source: every broken, failed or shrunk file in the ledger
    (missing required columns, unreadable, a rejected share over the table's threshold, a
    re-delivered day cut by more than its threshold) blocks publishing, and the description
    names each file and its problem."""
    return dg.AssetCheckResult(
        check_name="files_within_contract",
        passed=not problems,
        severity=dg.AssetCheckSeverity.ERROR,
        description="\n".join(message for _, _, message in problems) or None,
        metadata={
            f"{status}_files": sum(s == status for _, s, _ in problems)
            for status in ("broken", "failed", "shrunk")
        },
    )


def skipped_result(skipped: list[tuple[str, str]]) -> dg.AssetCheckResult:
    """A warning listing every path in a source's landing folder the build did not load (a
    file of no known table or format, a folder that is no day, a loaded day whose folder is
    gone), so nothing is passed over in silence."""
    return dg.AssetCheckResult(
        check_name="nothing_skipped",
        passed=not skipped,
        severity=dg.AssetCheckSeverity.WARN,
        description="\n".join(f"{path}: {reason}" for path, reason in skipped) or None,
        metadata={"skipped": len(skipped)},
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
        [(node, previous_rows.get(name)) for name, node in sorted(_MART_NODES.items())],
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
