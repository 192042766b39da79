"""`salesops metrics`: the metric definitions of models/marts/semantic, queried with
MetricFlow on a home's current publication (`published/bi.duckdb`, read-only: never the
working database, so a running build is neither blocked nor read half-written).

It calls MetricFlow's engine directly rather than its `mf` command, which asks PyPI for a
newer version on every run (nothing may reach the network at run time).
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import yaml

from orchestration.publish.publisher import BI_FILE, MANIFEST_FILE
from orchestration.transform.project import DBT_PROJECT_DIR, prepare_manifest


def query(home: Path, metrics: list[str], group_by: list[str], where: list[str],
          order: list[str], limit: int | None):
    """The result of one MetricFlow query (its data table: column_names, rows,
    text_format()) on the current publication of `home`."""
    from dbt_metricflow.cli.cli_configuration import CLIConfiguration
    from metricflow.engine.metricflow_engine import MetricFlowQueryRequest

    published = Path(home) / "published"
    if not (published / MANIFEST_FILE).exists():
        raise FileNotFoundError(f"no publication in {Path(home).resolve()}: build one with "
                                f"`salesops build --home {home}`")
    semantic = json.loads(prepare_manifest().with_name("semantic_manifest.json").read_text())
    # The working database's name, as dbt parsed it into every relation (one name).
    (database,) = {model["node_relation"]["database"] for model in semantic["semantic_models"]}
    with tempfile.TemporaryDirectory(prefix="salesops-metrics-") as profiles:
        # A profile of its own, never the project's: an in-memory database with the
        # publication's bi.duckdb attached read-only under the working database's name, so
        # the manifest's relations (warehouse.marts.*) resolve to the published marts.
        (Path(profiles) / "profiles.yml").write_text(yaml.safe_dump({"salesops": {
            "target": "published",
            "outputs": {"published": {
                "type": "duckdb", "path": ":memory:", "threads": 1,
                "attach": [{"path": str((published / BI_FILE).resolve()), "alias": database,
                            "read_only": True}],
                "settings": {"TimeZone": "UTC"},
            }},
        }}))
        config = CLIConfiguration()
        config.setup(dbt_profiles_path=Path(profiles), dbt_project_path=DBT_PROJECT_DIR,
                     configure_file_logging=False)
        request = MetricFlowQueryRequest.create(
            metric_names=metrics, group_by_names=group_by or None, where_constraints=where or None,
            order_by_names=order or None, limit=limit,
        )
        return config.mf.query(mf_request=request).result_df


def metrics(args) -> int:
    """`salesops metrics --metrics a,b --group-by metric_time__month ...`: print the table."""
    split = lambda values: [v.strip() for value in values or [] for v in value.split(",") if v.strip()]
    try:
        table = query(args.home, split(args.metrics), split(args.group_by), args.where or [],
                      split(args.order), args.limit)
    except FileNotFoundError as missing:
        print(f"salesops metrics: {missing}", file=sys.stderr)
        return 2
    if args.csv:
        import csv

        with open(args.csv, "w", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(table.column_names)
            writer.writerows(table.rows)
        print(f"wrote {args.csv}")
    else:
        print(table.text_format())
    return 0
