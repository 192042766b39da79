"""Operator trust: a run whose process died never holds up the next run, a home has one writer
at a time, and `salesops dev` stops promptly.

Real processes on a tiny generated company (2 reps, January 2025): `salesops build`
subprocesses, killed with SIGKILL once their progress output shows the dbt step running, and
`salesops dev` servers on free ports of 127.0.0.1, driven through the UI's GraphQL API."""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from datetime import date
from pathlib import Path

import dagster as dg
import pytest

from orchestration import runs

# Seconds-to-stop limits and killed processes: run alone, after the parallel part of the suite.
pytestmark = pytest.mark.serial

SALESOPS = Path(sys.executable).with_name("salesops")
DBT_STEP = "start  dbt_models"  # progress line: the dbt step started
RUN_ID = re.compile(r"\(run ([0-9a-f-]{36})\)")


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop(runs.RUN_ENV, None)
    return env


def _instance(home: Path) -> dg.DagsterInstance:
    return dg.DagsterInstance.from_config(str(home / "dagster"))


def _failure_message(instance: dg.DagsterInstance, run_id: str) -> str:
    (event,) = instance.all_logs(run_id, of_type=dg.DagsterEventType.RUN_FAILURE)
    return event.dagster_event.message


def _wait_finished(home: Path, run_id: str, timeout: float) -> dg.DagsterRunStatus:
    deadline = time.monotonic() + timeout
    while True:
        with _instance(home) as instance:
            status = instance.get_run_by_id(run_id).status
        if status in (dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED):
            return status
        assert time.monotonic() < deadline, f"run {run_id} still {status.value} after {timeout}s"
        time.sleep(1)


class Build:
    """A `salesops build` subprocess whose progress (stderr) is read line by line."""

    def __init__(self, landing: Path, home: Path):
        self.proc = subprocess.Popen(
            [str(SALESOPS), "build", "--landing", str(landing), "--home", str(home)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env=_env(),
        )
        self.lines: list[str] = []
        self._lines: queue.Queue = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()
        self.run_id = RUN_ID.search(self.wait_for("building ")).group(1)

    def _pump(self) -> None:
        for line in self.proc.stderr:
            self._lines.put(line.rstrip("\n"))
        self._lines.put(None)

    def wait_for(self, text: str, timeout: float = 90) -> str:
        """The first progress line from now on containing `text`."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self._lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"no {text!r} in {timeout}s:\n" + "\n".join(self.lines[-20:]))
            if line is None:
                raise AssertionError(
                    f"build exited ({self.proc.wait()}) before {text!r}:\n" + "\n".join(self.lines[-20:])
                )
            self.lines.append(line)
            if text in line:
                return line

    def wait_for_dbt(self, timeout: float = 60) -> list[int]:
        """Once the dbt step started: wait until its `dbt build` process runs; the run's processes."""
        self.wait_for(DBT_STEP)
        deadline = time.monotonic() + timeout
        while True:
            pids = runs.leftover_processes(self.run_id)  # they carry SALESOPS_RUN_ID=<run id>
            if any("dbt" in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
                   for pid in pids if Path(f"/proc/{pid}").exists()):
                return pids
            assert self.proc.poll() is None, "build exited before dbt ran:\n" + "\n".join(self.lines[-20:])
            assert time.monotonic() < deadline, f"no dbt process of run {self.run_id} in {timeout}s"
            time.sleep(0.1)

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _processes_where(field: int, value: int) -> list[int]:
    """Pids whose /proc/<pid>/stat field (counted after the command name: 1 = parent pid,
    2 = process group) equals `value`."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat[stat.rindex(")") + 2 :].split()[field]) == value:
                found.append(int(entry.name))
    return found


def _process_group(pgid: int) -> list[int]:
    return _processes_where(2, pgid)


def _children(pid: int) -> list[int]:
    return _processes_where(1, pid)


class Dev:
    """A `salesops dev` subprocess serving one home on a free port of 127.0.0.1."""

    def __init__(self, home: Path, landing: Path):
        self.home = home
        self.port = _free_port()
        home.mkdir(parents=True)
        self.log = home.parent / f"{home.name}-dev.log"
        with self.log.open("w") as out:
            self.proc = subprocess.Popen(
                [str(SALESOPS), "dev", "--home", str(home), "--landing", str(landing), "--port", str(self.port)],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=_env(),
            )
        self.group: int | None = None  # the process group of `dagster dev` and its services

    def wait_serving(self, timeout: float = 110) -> None:
        deadline = time.monotonic() + timeout
        while True:
            assert self.proc.poll() is None, f"salesops dev exited:\n{self.log.read_text()[-3000:]}"
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/server_info", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, f"not serving after {timeout}s:\n{self.log.read_text()[-3000:]}"
            time.sleep(0.5)
        (self.group,) = _children(self.proc.pid)  # `dagster dev`, leader of its own group

    def graphql(self, query: str, variables: dict | None = None) -> dict:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/graphql",
            data=json.dumps({"query": query, "variables": variables or {}}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())

    def launch_raw_hr(self) -> dict:
        """Launch the build job for raw/hr alone, as the UI's Materialize button does."""
        repo = self.graphql(
            "{ repositoriesOrError { ... on RepositoryConnection { nodes { name location { name } } } } }"
        )["data"]["repositoriesOrError"]["nodes"][0]
        from orchestration.definitions import defs

        # raw/hr and the checks of its own step, without the dbt source tests on it
        own_checks = defs.resolve_assets_def(dg.AssetKey(["raw", "hr"])).check_keys
        key = {"path": ["raw", "hr"]}
        selector = {
            "repositoryLocationName": repo["location"]["name"],
            "repositoryName": repo["name"],
            "jobName": "build",
            "assetSelection": [key],
            "assetCheckSelection": [{"assetKey": key, "name": c.name} for c in own_checks],
        }
        launched = self.graphql(
            "mutation($p: ExecutionParams!) { launchRun(executionParams: $p) { __typename "
            "... on LaunchRunSuccess { run { runId status } } ... on PythonError { message } "
            "... on InvalidSubsetError { message } } }",
            {"p": {"selector": selector, "runConfigData": {}}},
        )["data"]["launchRun"]
        assert launched["__typename"] == "LaunchRunSuccess", launched
        return launched["run"]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.group:
            for pid in _process_group(self.group):
                os.kill(pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def landing(tmp_path_factory) -> Path:
    from simco import generate

    out = tmp_path_factory.mktemp("ops") / "landing"
    generate(out, reps=2, start=date(2025, 1, 1), end=date(2025, 1, 31))
    return out


@pytest.fixture(scope="module")
def dev_servers(landing, tmp_path_factory):
    """Two `salesops dev` servers on their own homes, started together (they take a while to
    load the code location); each test waits until the one it uses serves HTTP."""
    root = tmp_path_factory.mktemp("dev")
    servers = {name: Dev(root / name, landing) for name in ("sigint", "sigterm")}
    yield servers
    for server in servers.values():
        server.stop()


@pytest.fixture(scope="module", autouse=True)
def _start_dev_servers_first(dev_servers):
    """Start the dev servers before the build tests, so they load meanwhile."""


def test_a_pid_is_a_run_process_only_if_alive_and_started_before_the_run():
    assert runs.process_alive(os.getpid())
    # A process that started after the run did is another process that got a reused pid.
    assert not runs.process_alive(os.getpid(), started_by=time.time() - 365 * 24 * 3600)
    child = subprocess.Popen(["sleep", "30"])
    child.kill()
    time.sleep(0.2)
    assert not runs.process_alive(child.pid)  # killed, not yet waited for: a zombie
    child.wait()
    assert not runs.process_alive(child.pid)


def test_the_home_lock_names_its_holder_and_is_released_when_the_holder_is_killed(tmp_path):
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from orchestration.runs import HomeLock; "
         "HomeLock(sys.argv[1]).acquire('run-1', 'salesops build'); print('held', flush=True); "
         "time.sleep(120)", str(tmp_path)],
        stdout=subprocess.PIPE, text=True, env=_env(),
    )
    try:
        assert holder.stdout.readline() == "held\n"
        with pytest.raises(runs.HomeBusy) as busy:
            runs.HomeLock(tmp_path).acquire("run-2", "salesops build")
        assert busy.value.holder.run_id == "run-1" and busy.value.holder.pid == holder.pid
        assert str(busy.value).startswith(
            f"{tmp_path.resolve()} is being written by run run-1 (salesops build, pid {holder.pid}, since "
        )
        assert not runs.home_is_free(tmp_path)
    finally:
        holder.kill()
        holder.wait()
    assert runs.home_is_free(tmp_path)  # the kernel released it with the process
    lock = runs.HomeLock(tmp_path)
    assert lock.acquire("run-2", "salesops build").run_id == "run-2"
    assert runs.held_here(tmp_path) is lock
    lock.release()
    assert runs.held_here(tmp_path) is None


def test_a_second_writer_is_refused_with_the_run_that_holds_the_home(landing, tmp_path):
    home = (tmp_path / "home").resolve()
    first = Build(landing, home)
    try:
        first.wait_for(DBT_STEP)

        # Another `salesops build`: refused at once, naming the home and the run holding it.
        second = subprocess.run(
            [str(SALESOPS), "build", "--landing", str(landing), "--home", str(home)],
            capture_output=True, text=True, timeout=120, env=_env(),
        )
        assert second.returncode == 2
        assert re.fullmatch(
            re.escape(f"build FAILED: {home} is being written by run {first.run_id} "
                      f"(salesops build, pid {first.proc.pid}, since ")
            + r"[0-9T:+-]+\); try again when it has finished",
            second.stderr.strip(),
        ), second.stderr
        assert second.stdout == ""

        # A run launched by Dagster (UI, schedule, sensor) sets up its warehouse resource in its
        # run worker; here in this process. It fails cleanly, before any step.
        from orchestration.definitions import defs

        config = {"home": str(home), "landing": str(landing), "as_of": ""}
        with _instance(home) as instance:
            result = defs.resolve_job_def("build").execute_in_process(
                instance=instance,
                asset_selection=[dg.AssetKey(["raw", "hr"])],
                run_config={"resources": {"warehouse": {"config": config}}},
                raise_on_error=False,
            )
            assert instance.get_run_by_id(result.run_id).status == dg.DagsterRunStatus.FAILURE
            events = [e.dagster_event for e in instance.all_logs(result.run_id) if e.dagster_event]
        (init_failure,) = [e for e in events if e.event_type_value == "RESOURCE_INIT_FAILURE"]
        assert re.fullmatch(
            re.escape(f"dagster._core.definitions.events.Failure: This run did not start: {home} "
                      f"is being written by run {first.run_id} (salesops build, pid "
                      f"{first.proc.pid}, since ")
            + r"[0-9T:+-]+\)\. Launch it again when that run has finished\.",
            init_failure.event_specific_data.error.message.strip(),
        ), init_failure.event_specific_data.error.message
        assert not [e for e in events if e.event_type_value == "STEP_START"]
        everything = json.dumps([str(e) for e in events]).lower()
        assert "duckdb" not in everything and "could not set lock" not in everything

        assert first.proc.poll() is None  # the first build went on
    finally:
        first.kill()


def test_a_killed_build_is_failed_before_the_next_build_which_succeeds(landing, tmp_path):
    home = (tmp_path / "home").resolve()
    dead = Build(landing, home)
    started = dead.wait_for_dbt()
    dead.kill()
    assert dead.proc.returncode == -signal.SIGKILL
    left = [pid for pid in started if runs.process_alive(pid)]  # dbt may outlive its parent
    with _instance(home) as instance:
        assert instance.get_run_by_id(dead.run_id).status == dg.DagsterRunStatus.STARTED

    after = subprocess.run(
        [str(SALESOPS), "build", "--landing", str(landing), "--home", str(home)],
        capture_output=True, text=True, timeout=170, env=_env(),
    )
    assert after.returncode == 0, after.stderr[-3000:]
    assert (
        f"salesops build: run {dead.run_id} (salesops build) was left STARTED by a process that "
        "died; marked it failed" in after.stderr
    )
    next_id = RUN_ID.search(after.stderr).group(1)
    assert next_id != dead.run_id
    with _instance(home) as instance:
        failed = instance.get_run_record_by_id(dead.run_id)
        succeeded = instance.get_run_record_by_id(next_id)
        message = _failure_message(instance, dead.run_id)
    assert failed.dagster_run.status == dg.DagsterRunStatus.FAILURE
    assert message.startswith(
        f"Marked failed by salesops: the process that ran it (salesops build, pid {dead.proc.pid}) "
        "died before the run ended (killed or crashed)"
    )
    # What the killed build left running (dbt, unless it died on its own of the broken pipe to
    # its parent) was stopped before the next build opened the warehouse.
    if "Stopped the processes it left running: " in message:
        assert left and "dbt" in message
    assert not [pid for pid in left if runs.process_alive(pid)]
    assert succeeded.dagster_run.status == dg.DagsterRunStatus.SUCCESS
    assert succeeded.start_time > failed.end_time
    assert f"(run {next_id})" in after.stdout  # "published as of ... (run <id>)"


def test_a_ui_run_queued_behind_a_build_that_is_killed_runs_once_the_dead_run_is_failed(
    dev_servers, landing
):
    dev, other = dev_servers["sigint"], dev_servers["sigterm"]
    dev.wait_serving()
    other.wait_serving()
    # The other server gets a UI run too, so that both signal tests below stop after UI runs.
    other_run = other.launch_raw_hr()

    build = Build(landing, dev.home)
    try:
        build.wait_for_dbt()
        queued = dev.launch_raw_hr()  # one run at a time: it waits for the build
        assert queued["status"] == "QUEUED"
    finally:
        build.kill()

    # Run monitoring in `salesops dev` fails the dead build; then the queue starts the UI run.
    assert _wait_finished(dev.home, queued["runId"], timeout=150) == dg.DagsterRunStatus.SUCCESS
    with _instance(dev.home) as instance:
        dead = instance.get_run_record_by_id(build.run_id)
        ui = instance.get_run_record_by_id(queued["runId"])
        message = _failure_message(instance, build.run_id)
    assert dead.dagster_run.status == dg.DagsterRunStatus.FAILURE
    assert message.startswith("Detected run worker status FAILED: 'Marked failed by salesops: ")
    assert (
        f"the process that ran it (salesops build, pid {build.proc.pid}) died before the run ended"
        in message
    )
    assert ui.start_time > dead.end_time
    # The UI run took the home's lock in its own run worker, which recorded its pid.
    assert runs.origin_of(ui.dagster_run) == "launched from the Dagster UI"
    assert int(ui.dagster_run.tags[runs.PID_TAG]) not in (build.proc.pid, dev.proc.pid)
    assert _wait_finished(other.home, other_run["runId"], timeout=60) == dg.DagsterRunStatus.SUCCESS


def test_the_ui_opens_without_the_join_the_community_dialog(dev_servers):
    dev = dev_servers["sigterm"]
    dev.wait_serving()
    # The UI shows its "Join the Dagster community" dialog only when this query says so.
    assert dev.graphql("{ shouldShowNux }") == {"data": {"shouldShowNux": False}}


@pytest.mark.parametrize("name, signum", [("sigint", signal.SIGINT), ("sigterm", signal.SIGTERM)])
def test_dev_stops_within_seconds_of_a_signal_after_ui_runs(dev_servers, name, signum):
    dev = dev_servers[name]
    dev.wait_serving()
    group = _process_group(dev.group)
    assert len(group) >= 3  # dagster dev, its webserver, daemon and code server
    started = time.monotonic()
    dev.proc.send_signal(signum)
    status = dev.proc.wait(timeout=60)
    elapsed = time.monotonic() - started
    assert status == 0
    assert elapsed < 8, f"salesops dev took {elapsed:.1f}s to stop"
    assert f"salesops dev: {signal.Signals(signum).name} received, stopping" in dev.log.read_text()
    assert not [pid for pid in group if runs.process_alive(pid)]
