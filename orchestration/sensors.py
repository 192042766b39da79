"""A sensor that starts a build when a new landing day appears in any source."""


from pathlib import Path

import dagster as dg

from orchestration.ingest.loader import latest_landing_day
from orchestration.resources import default_landing
from orchestration.schedules import build_job


@dg.sensor(job=build_job, minimum_interval_seconds=300, default_status=dg.DefaultSensorStatus.STOPPED)
def new_landing_day(context: dg.SensorEvaluationContext):
    day = latest_landing_day(Path(default_landing()))
    latest = day.isoformat() if day else None
    if latest is None or (context.cursor and latest <= context.cursor):
        return dg.SkipReason(f"no landing day newer than {context.cursor}")
    context.update_cursor(latest)
    return dg.RunRequest(run_key=f"landing-{latest}")
