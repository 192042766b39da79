"""dbt models, seeds and tests as Dagster assets and asset checks.

Asset keys are [schema, name] (staging/stg_crm__opportunities, marts/dim_rep, seeds/stage_map);
every dbt source maps to the ingest asset of its source (raw/crm, raw/hr, raw/comp), so the
graph runs landing files -> raw -> staging -> marts -> published.
"""


import contextlib
import json
from collections.abc import Iterator, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    dbt_assets,
)

from orchestration.quality.failures import (
    describe,
    failed_nodes,
    failing_rows,
    store_failing_rows,
)
from orchestration.resources import Warehouse
from orchestration.transform.project import (
    dbt_manifest,
    dbt_project,
    drop_partial_parse_if_files_moved,
)


class SalesOpsTranslator(DagsterDbtTranslator):
    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return dg.AssetKey(["raw", dbt_resource_props["source_name"]])
        schema = dbt_resource_props.get("config", {}).get("schema") or "main"
        return dg.AssetKey([schema, dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return dbt_resource_props.get("config", {}).get("schema") or "dbt"


translator = SalesOpsTranslator(
    settings=DagsterDbtTranslatorSettings(
        enable_asset_checks=True,
        enable_duplicate_source_asset_keys=True,
        enable_source_tests_as_checks=True,
    )
)


def dbt_build_args() -> list[str]:
    """The dbt command for one build: every model, seed and data test. Unit tests prove the
    SQL, not the data, so the daily build leaves them to the test suite
    (tests/test_dbt_unit_tests.py). The as-of day is not a var (a new var value makes dbt parse
    the whole project again): see record_as_of."""
    return ["build", "--exclude-resource-type", "unit_test"]


def warehouse_vars(database: Path) -> list[str]:
    """The dbt arguments that point dbt's profile (dbt_project/profiles.yml) at the working
    database of the run's warehouse resource. One value per home, so builds of a home keep
    parsing only what changed."""
    return ["--vars", json.dumps({"salesops_warehouse": str(database)})]


def record_as_of(con, as_of: date | None) -> None:
    """Record the day this build describes where macros/as_of.sql reads it: raw._build_as_of
    (no day configured or landed: the latest day loaded)."""
    con.execute(
        "create or replace table raw._build_as_of as select coalesce(cast(? as date), "
        "(select max(batch_date) from raw._loaded_days)) as as_of_date",
        [as_of],
    )


def dbt_target_path(home: Path) -> Path:
    """dbt's target folder for a home: HOME/dbt. dbt's partial parse file lives there, so
    builds of one home parse only what changed in the project since the last one (the
    warehouse path is part of dbt's profile, and a new profile means a full parse); and every
    build replaces the artifacts of the one before instead of leaving new ones behind."""
    return home / "dbt"


@dbt_assets(
    manifest=dbt_manifest(),  # the one cached load, shared with quality and publish
    project=dbt_project,
    dagster_dbt_translator=translator,
)
def dbt_models(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: Warehouse
) -> Sequence:
    # The as-of day is read on a short connection that is closed before dbt starts: DuckDB
    # lets one process hold the file.
    as_of = warehouse.as_of_date()
    context.log.info(f"dbt build of {warehouse.database_path} as of {as_of}")
    with warehouse.connect() as con:
        record_as_of(con, as_of)
    log_path = dbt_log_path(Path(warehouse.home), context.run.run_id)
    context.log.info(f"dbt's output: {log_path}")
    drop_partial_parse_if_files_moved(dbt_target_path(Path(warehouse.home)))
    invocation = dbt.cli(
        # dbt writes the warehouse this run was configured with
        [*dbt_build_args(), *warehouse_vars(warehouse.database_path)],
        context=context,
        raise_on_error=False,
        target_path=dbt_target_path(Path(warehouse.home)),
    )
    held: list[dg.AssetCheckResult] = []
    try:
        with log_path.open("w") as log:
            events = stdout_to(iter(invocation.stream()), log)
            for event in events:
                # A failed test is reported once dbt has exited, with its failing rows:
                # until then dbt holds the DuckDB file and they cannot be read.
                if isinstance(event, dg.AssetCheckResult) and not event.passed:
                    held.append(event)
                else:
                    yield event
    finally:
        # If streaming fails on the Dagster side, dbt must not live on as an orphan that
        # holds the DuckDB file and blocks every later step and build.
        if invocation.process.poll() is None:
            invocation.process.terminate()
            invocation.process.wait()
    yield from _report_failures(context, invocation, warehouse, held)


KEEP_DBT_LOGS = 20


def dbt_log_path(home: Path, run_id: str) -> Path:
    """Where one run's dbt output goes: HOME/logs/dbt-<run id>.log (the newest
    KEEP_DBT_LOGS are kept). The terminal shows progress and the summary, not dbt's lines."""
    folder = home / "logs"
    folder.mkdir(parents=True, exist_ok=True)
    for old in sorted(folder.glob("dbt-*.log"), key=lambda p: p.stat().st_mtime)[:-KEEP_DBT_LOGS]:
        old.unlink(missing_ok=True)
    return folder / f"dbt-{run_id}.log"


def stdout_to(events: Iterator, stream) -> Iterator:
    """The events of a dbt invocation, with what dagster-dbt prints of dbt's output while it
    reads them written to `stream` (the redirect covers only the reads, not the caller)."""
    while True:
        with contextlib.redirect_stdout(stream):
            try:
                event = next(events)
            except StopIteration:
                return
        yield event


def _report_failures(context, invocation, warehouse: Warehouse, held: list) -> Iterator:
    """Yield the held failed checks with their failing rows, and fail the step, naming every
    failed node of the run, when dbt failed (an error-severity test, a model that errored)."""
    try:
        failed = failed_nodes(invocation.get_artifact("run_results.json"))
    except FileNotFoundError:  # dbt stopped before running anything (a parse error)
        error = invocation.get_error()
        raise dg.Failure(description=f"dbt build did not run: {error}") from error
    manifest = invocation.manifest
    with warehouse.connect() as con:
        store_failing_rows(con, failed, manifest)
        described = {
            result["unique_id"]: describe(
                result,
                failing_rows(con, manifest["nodes"][result["unique_id"]], manifest)
                if result["unique_id"].startswith("test.")
                else [],
            )
            for result in failed
        }
    reported = set()
    for check in held:
        unique_id = check.metadata["unique_id"].value
        reported.add(unique_id)
        text = described.get(unique_id, "")
        yield dg.AssetCheckResult(
            asset_key=check.asset_key,
            check_name=check.check_name,
            passed=False,
            severity=check.severity,
            description=text or None,
            metadata={**check.metadata, "failing_rows": dg.MetadataValue.md(
                "```\n" + text + "\n```"
            )},
        )
    if invocation.process.returncode:
        # Models that errored, and failed tests that are no asset check, are named here.
        lines = [
            f"{result['unique_id']}: {described[result['unique_id']]}"
            for result in failed
            if result["unique_id"] not in reported and result["status"] != "warn"
        ]
        tests = sum(1 for r in failed if r["status"] == "fail")
        raise dg.Failure(
            description=f"dbt build failed: {tests} test(s) failed"
            + ("" if not lines else "; " + "\n".join(lines)),
        )
