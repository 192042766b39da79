"""`salesops dev`: the Dagster UI on 127.0.0.1 for one warehouse home.

The UI and everything it starts (webserver, daemon, code server, run workers) run in one
process group with the home, its landing folder and its Dagster instance in their
environment, where the code location's resources read them (orchestration/resources.py).
"""

from __future__ import annotations

import sys
from pathlib import Path

from orchestration import PROJECT_ROOT, runs


def serve(home: Path, landing: Path | None, port: int, log=print) -> int:
    """Serve the UI for `home` until it exits or this process is stopped (SIGINT or SIGTERM
    stop the whole group within a few seconds); returns its exit status."""
    from orchestration.transform.project import prepare_manifest

    home = home.resolve()
    env = runs.home_environment(home, landing)
    prepare_manifest()
    with runs.home_instance(home) as instance:
        for note in runs.fail_dead_runs(instance, home):
            log(f"salesops dev: {note}")
    dagster = Path(sys.executable).with_name("dagster")
    command = [str(dagster), "dev", "-m", "orchestration.definitions", "-h", "127.0.0.1", "-p", str(port)]
    return runs.supervise(command, cwd=PROJECT_ROOT, grace_seconds=5, name="salesops dev", env=env)
