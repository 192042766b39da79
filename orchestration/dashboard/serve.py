"""Start the dashboard: `streamlit run app.py` for one home, on 127.0.0.1."""

from __future__ import annotations

import sys
from pathlib import Path

from orchestration import PROJECT_ROOT

APP = Path(__file__).with_name("app.py")


def streamlit_command(home: Path, port: int, restricted: bool) -> list[str]:
    """The command line that serves the dashboard of `home` on `port`. Nothing is fetched
    at run time: no usage statistics, no browser opened, no file watcher."""
    return [
        sys.executable, "-m", "streamlit", "run", str(APP),
        "--server.address", "127.0.0.1",
        "--server.port", str(port),
        "--server.headless", "true",
        "--server.fileWatcherType", "none",
        "--server.runOnSave", "false",
        "--browser.gatherUsageStats", "false",
        "--global.developmentMode", "false",
        "--client.toolbarMode", "viewer",
        "--theme.base", "light",
        "--",
        "--home", str(Path(home).resolve()),
        *(["--restricted"] if restricted else []),
    ]


def serve(home: Path, port: int, restricted: bool) -> int:
    """Serve until Ctrl-C or SIGTERM (the whole process group stops, as `salesops dev`)."""
    from orchestration import runs

    mode = "with the restricted Finance page" if restricted else "without restricted data"
    print(f"dashboard of {Path(home).resolve()} ({mode}) on http://127.0.0.1:{port}", file=sys.stderr)
    return runs.supervise(streamlit_command(home, port, restricted), cwd=PROJECT_ROOT,
                          grace_seconds=5, name="salesops dashboard")
