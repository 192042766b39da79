"""dbt models, seeds and tests as Dagster assets and asset checks.

Asset keys are [schema, name] (staging/stg_crm__opportunities, marts/dim_rep, seeds/stage_map);
every dbt source maps to the ingest asset of its source (raw/crm, raw/hr, raw/comp), so the
graph runs landing files -> raw -> staging -> marts -> published.
"""


import json
import os
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import dagster as dg
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    dbt_assets,
)

from orchestration.resources import Warehouse
from orchestration.transform.project import dbt_project


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


def dbt_build_args(as_of: date | None) -> list[str]:
    """The dbt command for one build: every model, seed and data test, as of the given
    landing day. Unit tests prove the SQL, not the data, so the daily build leaves them to
    the test suite (tests/test_dbt_unit_tests.py)."""
    args = ["build", "--exclude-resource-type", "unit_test"]
    if as_of is not None:
        args += ["--vars", json.dumps({"as_of": as_of.isoformat()})]
    return args


@dbt_assets(
    manifest=dbt_project.manifest_path,
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
    # profiles.yml reads the database path from here, so dbt writes the warehouse this run
    # was configured with.
    os.environ["SALESOPS_WAREHOUSE"] = str(warehouse.database_path)
    invocation = dbt.cli(dbt_build_args(as_of), context=context)
    try:
        yield from invocation.stream()
    finally:
        # If streaming fails on the Dagster side, dbt must not live on as an orphan that
        # holds the DuckDB file and blocks every later step and build.
        if invocation.process.poll() is None:
            invocation.process.terminate()
            invocation.process.wait()
