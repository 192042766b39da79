"""A sensor that starts a build when a new landing day appears in any source."""


from pathlib import Path

import dagster as dg

from orchestration.ingest.loader import DAY_PATTERN
from orchestration.resources import default_landing
from orchestration.schedules import build_job


def latest_landing_day(landing: Path) -> str | None:
    days = [
        day.name
        for source in landing.iterdir()
        if source.is_dir()
        for day in source.iterdir()
        if day.is_dir() and DAY_PATTERN.match(day.name)
    ] if landing.is_dir() else []
    return max(days, default=None)


@dg.sensor(job=build_job, minimum_interval_seconds=300, default_status=dg.DefaultSensorStatus.STOPPED)
def new_landing_day(context: dg.SensorEvaluationContext):
    latest = latest_landing_day(Path(default_landing()))
    if latest is None or (context.cursor and latest <= context.cursor):
        return dg.SkipReason(f"no landing day newer than {context.cursor}")
    context.update_cursor(latest)
    return dg.RunRequest(run_key=f"landing-{latest}")
