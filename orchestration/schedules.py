"""The build job and its daily schedule."""

import dagster as dg

# Every asset and check in one run, steps one after another in-process: the working DuckDB
# file has one writer at a time.
build_job = dg.define_asset_job(
    "build",
    selection=dg.AssetSelection.all(),
    executor_def=dg.in_process_executor,
    description="Ingest every landing day, run dbt (models, tests), publish the marts.",
)

daily_build = dg.ScheduleDefinition(
    job=build_job, cron_schedule="0 6 * * *", execution_timezone="UTC", name="daily_build"
)
