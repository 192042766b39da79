"""The publish step: makes the marts of a successful build visible to BI."""


import json
from pathlib import Path

import dagster as dg

from orchestration.publish.publisher import marts_from_manifest, publish
from orchestration.resources import DUCKDB_POOL, Warehouse
from orchestration.transform.project import dbt_project


def _mart_keys() -> list[dg.AssetKey]:
    return [
        dg.AssetKey([m.schema, m.name])
        for m in marts_from_manifest(Path(dbt_project.manifest_path))
    ]


@dg.asset(
    key=["published", "marts"],
    group_name="publish",
    deps=_mart_keys(),
    pool=DUCKDB_POOL,
    kinds={"duckdb"},
    description=(
        "The published layer BI reads: <home>/published/bi.duckdb (schema marts, every "
        "unrestricted mart) and restricted.duckdb, each replaced by an atomic rename."
    ),
)
def published_marts(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
    marts = marts_from_manifest(Path(dbt_project.manifest_path))
    counts = publish(warehouse.database_path, warehouse.published_dir, marts)
    manifest = {
        "run_id": context.run.run_id,
        "as_of": str(warehouse.as_of_date()),
        "files": counts,
    }
    (warehouse.published_dir / "publication.json").write_text(json.dumps(manifest, indent=2))
    for file, tables in counts.items():
        context.log.info(f"published {file}: " + ", ".join(f"{t} ({n} rows)" for t, n in tables.items()))
    return dg.MaterializeResult(
        metadata={f"{file}:{table}": rows for file, tables in counts.items() for table, rows in tables.items()}
    )
