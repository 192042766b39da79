"""The one Definitions object of the salesops code location."""

import dagster as dg

from orchestration.ingest.assets import ingest_assets
from orchestration.progress import progress_logger
from orchestration.publish.assets import commission_statements, published_marts
from orchestration.quality.checks import gx_mart_suites
from orchestration.resources import warehouse_from_env
from orchestration.schedules import build_job, daily_build
from orchestration.sensors import new_landing_day
from orchestration.transform.assets import dbt_models
from orchestration.transform.project import DBT_EXECUTABLE, DbtCli, dbt_project

defs = dg.Definitions(
    assets=[*ingest_assets, dbt_models, published_marts, commission_statements],
    asset_checks=[gx_mart_suites],
    jobs=[build_job],
    schedules=[daily_build],
    sensors=[new_landing_day],
    resources={
        "warehouse": warehouse_from_env(),
        "dbt": DbtCli(project_dir=dbt_project, dbt_executable=str(DBT_EXECUTABLE)),
    },
    loggers={"console": progress_logger},
    # Runs materializing a selection from the UI too: one process, one writer of the warehouse.
    executor=dg.in_process_executor,
)
