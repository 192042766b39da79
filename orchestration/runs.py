"""One writer per warehouse home, and no run left STARTED by a process that died.

DuckDB allows one writer per file, and every run of a home (`salesops build`, and runs
launched from the Dagster UI, the schedule or the sensor) is recorded in the one Dagster
instance under HOME/dagster, whose run queue starts one run at a time. Two rules keep that
honest:

* One lock per home. Every run holds an exclusive `flock` on HOME/.build.lock while it runs and
  writes its run id, origin and pid into it; the kernel releases the lock when the process dies,
  even on `kill -9`. `salesops build` takes it before it creates its run; a run launched by
  Dagster takes it when its `warehouse` resource is set up, before its first step. A second
  writer is refused with a message that names the home and the run holding it
  (:class:`HomeBusy`).
* Every run records its process: the run tags `salesops/pid` and `salesops/host` (and runs
  launched by Dagster log "Started process for run (pid: N)"). A run still in progress whose
  process is gone is reported failed through the instance, with a message that says its
  process died, after the processes it left behind are stopped (a `dbt build` keeps writing
  the warehouse after its parent is killed; they are found by the SALESOPS_RUN_ID variable they
  inherited). That happens before the next run starts:
  - in `salesops build`, holding the lock, before it creates its run;
  - when a run launched by Dagster sets up, holding the lock;
  - in `salesops dev`: run monitoring (dagster.yaml) asks the run launcher,
    :class:`HomeRunLauncher`, every few seconds whether each STARTED run's process is alive,
    so runs queued from the UI, the schedule or the sensor never wait behind a dead run.

Process checks read /proc where it exists (Linux): a pid counts as the run's process only if it
started before the run did, so a reused pid does not keep a dead run alive.
"""

from __future__ import annotations

import fcntl
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

import dagster as dg
import sqlalchemy as sa
from dagster._core.launcher import CheckRunHealthResult, WorkerStatus  # run monitoring's API
from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    SQLITE_BUSY_TIMEOUT_SECONDS,
    SqliteEventLogStorage,
)
from dagster._core.storage.sqlite_storage import DagsterSqliteStorage, _event_logs_directory

from orchestration import PROJECT_ROOT

LOCK_FILE = ".build.lock"
PID_TAG = "salesops/pid"
HOST_TAG = "salesops/host"
ORIGIN_TAG = "salesops/origin"
GRPC_INFO_TAG = ".dagster/grpc_info"  # DefaultRunLauncher tags the runs it launches with it
# Set in a run's process while it runs; every process it starts (dbt) inherits it.
RUN_ENV = "SALESOPS_RUN_ID"
# A STARTED run that recorded no process (made by an older `salesops build`) is judged dead
# only when no process holds the home's lock and it started longer ago than this.
UNRECORDED_GRACE_SECONDS = 60

_IN_PROGRESS = [
    dg.DagsterRunStatus.NOT_STARTED,  # only runs that recorded a process (salesops build)
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
]


def new_run_id() -> str:
    """A run id chosen before the run exists (Dagster's run ids are uuid4 strings)."""
    return str(uuid.uuid4())


def process_tags(origin: str | None = None) -> dict[str, str]:
    """The run tags that record this process as the one executing a run."""
    tags = {PID_TAG: str(os.getpid()), HOST_TAG: socket.gethostname()}
    if origin:
        tags[ORIGIN_TAG] = origin
    return tags


def origin_of(run: dg.DagsterRun) -> str:
    """Who started a run, in words: salesops build, a schedule, a sensor or the UI."""
    tags = run.tags
    if ORIGIN_TAG in tags:
        return tags[ORIGIN_TAG]
    if "dagster/schedule_name" in tags:
        return f"schedule {tags['dagster/schedule_name']}"
    if "dagster/sensor_name" in tags:
        return f"sensor {tags['dagster/sensor_name']}"
    if "dagster/backfill" in tags:
        return f"backfill {tags['dagster/backfill']}"
    if GRPC_INFO_TAG in tags:  # launched by the run launcher
        return "launched from the Dagster UI"
    return "an in-process run (salesops build)"


# -- the home lock ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Holder:
    """What the holder of a home's lock wrote into it."""

    run_id: str
    origin: str
    pid: int
    host: str
    since: str

    def describe(self) -> str:
        return f"run {self.run_id} ({self.origin}, pid {self.pid}, since {self.since})"


class HomeBusy(Exception):
    """Another process holds the home's lock."""

    def __init__(self, home: Path, holder: Holder | None):
        self.home = home
        self.holder = holder
        who = holder.describe() if holder else "another run (it has not recorded which yet)"
        super().__init__(f"{home} is being written by {who}")


_HELD: dict[Path, HomeLock] = {}  # lock file -> the lock this process holds on it


class HomeLock:
    """The exclusive lock of one warehouse home, HOME/.build.lock."""

    def __init__(self, home: Path | str):
        self.home = Path(home).resolve()
        self.path = self.home / LOCK_FILE
        self.holder: Holder | None = None
        self._fd: int | None = None

    def acquire(self, run_id: str, origin: str) -> Holder:
        """Take the lock without waiting and record who holds it; raises HomeBusy."""
        self.home.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)  # no truncation: a holder's record
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise HomeBusy(self.home, read_holder(self.path)) from None
        since = datetime.now(timezone.utc).astimezone().isoformat(timespec="seconds")
        holder = Holder(run_id, origin, os.getpid(), socket.gethostname(), since)
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(asdict(holder)).encode(), 0)
        self._fd, self.holder = fd, holder
        _HELD[self.path] = self
        return holder

    def release(self) -> None:
        if self._fd is None:
            return
        _HELD.pop(self.path, None)
        try:
            os.ftruncate(self._fd, 0)  # so nobody reads a finished run as the holder
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = self.holder = None


@contextmanager
def holding(home: Path | str, origin: str, refused, run_id: str | None = None) -> Iterator[Holder]:
    """Hold the home's lock for the block, recorded as held by `run_id` (a build's run; else
    a new id: forget, docs). When another run holds it, nothing runs and `refused(busy)` (an
    exception naming what to do) is raised instead."""
    lock = HomeLock(home)
    try:
        holder = lock.acquire(run_id or new_run_id(), origin)
    except HomeBusy as busy:
        raise refused(busy) from busy
    try:
        yield holder
    finally:
        lock.release()


def held_here(home: Path | str) -> HomeLock | None:
    """The lock this process holds on the home, if any."""
    return _HELD.get(Path(home).resolve() / LOCK_FILE)


def read_holder(path: Path, attempts: int = 5) -> Holder | None:
    """Who holds a lock file, as it recorded; None when the record is missing or stale."""
    for attempt in range(attempts):
        try:
            holder = Holder(**json.loads(path.read_text()))
            if holder.host != socket.gethostname() or process_alive(holder.pid):
                return holder
        except (OSError, ValueError, TypeError):
            pass
        time.sleep(0.05 * (attempt + 1))  # the holder writes its record right after locking
    return None


def home_is_free(home: Path | str) -> bool:
    """No other process holds the home's lock (this process may)."""
    if held_here(home):
        return True
    path = Path(home).resolve() / LOCK_FILE
    if not path.exists():
        return True
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)  # releases the probe's lock
    return True


# -- processes ---------------------------------------------------------------------------


def _proc_stat(pid: int) -> tuple[str, float] | None:
    """(state, start time as epoch seconds) of a process, from /proc; None if not readable."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
        fields = text[text.rindex(")") + 2 :].split()  # fields from the 3rd (state) on
        boot = next(
            float(line.split()[1])
            for line in Path("/proc/stat").read_text().splitlines()
            if line.startswith("btime ")
        )
        return fields[0], boot + int(fields[19]) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, StopIteration):
        return None


def process_alive(pid: int, started_by: float | None = None) -> bool:
    """Whether process `pid` is running (not a zombie) and, when `started_by` (epoch seconds)
    is given, started no later than that: a later start means the pid was reused."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by someone else
    stat = _proc_stat(pid)
    if stat is None:
        return not Path("/proc/self/stat").exists()  # no /proc: trust kill(0); else it just died
    state, start = stat
    if state in ("Z", "X"):
        return False
    return started_by is None or start <= started_by + 2  # btime has one-second resolution


def leftover_processes(run_id: str) -> list[int]:
    """Processes started by a run (they inherited SALESOPS_RUN_ID=<run id>), other than this one."""
    proc = Path("/proc")
    if not proc.is_dir():
        return []
    marker = f"{RUN_ENV}={run_id}".encode()
    pids = []
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if marker in (entry / "environ").read_bytes().split(b"\0"):
                pids.append(int(entry.name))
        except OSError:
            continue
    return pids


def _command(pid: int) -> str:
    try:
        args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        return " ".join(Path(a.decode(errors="replace")).name for a in args[:3] if a)
    except OSError:
        return "process"


def stop_leftovers(run_id: str, timeout: float = 5.0) -> list[str]:
    """Kill what a dead run left running (SIGKILL) and wait until it is gone; describes each."""
    pids = leftover_processes(run_id)
    names = {pid: _command(pid) for pid in pids}
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + timeout
    while any(process_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    return [f"{names[pid]} (pid {pid})" for pid in pids]


# -- dead runs ---------------------------------------------------------------------------


def run_process(instance: dg.DagsterInstance, run: dg.DagsterRun) -> tuple[int | None, str]:
    """(pid, host) of the process that executes a run; host '' means this machine, pid None
    that the run recorded no process."""
    if PID_TAG in run.tags:
        return int(run.tags[PID_TAG]), run.tags.get(HOST_TAG, "")
    # Runs launched by Dagster's run launcher log their worker's pid (EngineEventData.in_process).
    for entry in reversed(instance.all_logs(run.run_id, of_type=dg.DagsterEventType.ENGINE_EVENT)):
        event = entry.dagster_event
        data = event.engine_event_data if event else None
        if data and "pid" in data.metadata and (event.message or "").startswith("Started process"):
            return int(data.metadata["pid"].value), ""
    return None, ""


def dead_reason(instance: dg.DagsterInstance, record, home: Path | str) -> str | None:
    """Why a run in progress (a RunRecord) is dead, or None while it may be alive."""
    run = record.dagster_run
    pid, host = run_process(instance, run)
    if pid is not None:
        if host and host != socket.gethostname():
            return None  # another machine's process: not ours to judge
        if process_alive(pid, started_by=record.start_time or time.time()):
            return None
        return (
            f"the process that ran it ({origin_of(run)}, pid {pid}) died before the run ended "
            "(killed or crashed), so it could not report the end"
        )
    if run.status != dg.DagsterRunStatus.STARTED or not record.start_time:
        return None  # a launch in progress: Dagster's start timeout covers it
    if time.time() - record.start_time < UNRECORDED_GRACE_SECONDS or not home_is_free(home):
        return None
    return (
        f"it recorded no process ({origin_of(run)}) and no process holds {Path(home) / LOCK_FILE}:"
        " the process that ran it died before the run ended"
    )


def death_message(reason: str, stopped: Sequence[str]) -> str:
    text = f"Marked failed by salesops: {reason}."
    if stopped:
        text += f" Stopped the processes it left running: {', '.join(stopped)}."
    return text


def fail_dead_runs(
    instance: dg.DagsterInstance, home: Path | str, exclude: Iterable[str] = ()
) -> list[str]:
    """Report every run in progress whose process died as failed (CANCELING ones as canceled),
    after stopping what it left running. Returns one line per run marked."""
    notes = []
    records = instance.get_run_records(filters=dg.RunsFilter(statuses=_IN_PROGRESS))
    for record in records:
        run = record.dagster_run
        if run.run_id in set(exclude):
            continue
        if run.status == dg.DagsterRunStatus.NOT_STARTED and PID_TAG not in run.tags:
            continue  # created by Dagster, not yet launched
        reason = dead_reason(instance, record, home)
        if reason is None:
            continue
        message = death_message(reason, stop_leftovers(run.run_id))
        current = instance.get_run_by_id(run.run_id)
        if current is None or current.is_finished:
            continue
        if current.status == dg.DagsterRunStatus.CANCELING:
            instance.report_run_canceled(current, message)
            marked = "canceled"
        else:
            instance.report_run_failed(current, message)
            marked = "failed"
        notes.append(
            f"run {run.run_id} ({origin_of(run)}) was left {current.status.value} by a process "
            f"that died; marked it {marked}"
        )
    return notes


def runs_in_progress(instance: dg.DagsterInstance, exclude: Iterable[str] = ()) -> list[dg.DagsterRun]:
    """Runs starting, running or canceling, other than `exclude`."""
    statuses = [
        dg.DagsterRunStatus.STARTING,
        dg.DagsterRunStatus.STARTED,
        dg.DagsterRunStatus.CANCELING,
    ]
    return [
        run
        for run in instance.get_runs(filters=dg.RunsFilter(statuses=statuses))
        if run.run_id not in set(exclude)
    ]


def home_of(instance: dg.DagsterInstance) -> Path:
    """The warehouse home of an instance: SALESOPS_HOME, else the folder above HOME/dagster."""
    if os.environ.get("SALESOPS_HOME"):
        return Path(os.environ["SALESOPS_HOME"])
    return Path(instance.root_directory).parent


# How the project's dagster.yaml names the storage folder; a home's copy names its own.
STORAGE_DIR = "{env: DAGSTER_HOME}"


def home_dagster_dir(home: Path) -> Path:
    """HOME/dagster, the Dagster instance of a home, with its dagster.yaml: a copy of the
    project's that names this folder as the storage's base_dir, so whoever opens the instance
    (a test, a script, the UI) reads this home's runs whatever DAGSTER_HOME says."""
    dagster_home = Path(home) / "dagster"
    dagster_home.mkdir(parents=True, exist_ok=True)
    config = (PROJECT_ROOT / "dagster.yaml").read_text()
    if STORAGE_DIR not in config:
        raise RuntimeError(f"{PROJECT_ROOT / 'dagster.yaml'} must set the storage base_dir to {STORAGE_DIR}")
    (dagster_home / "dagster.yaml").write_text(config.replace(STORAGE_DIR, json.dumps(str(dagster_home))))
    return dagster_home


def home_instance(home: Path) -> dg.DagsterInstance:
    """The Dagster instance of a home (HOME/dagster), opened from its own dagster.yaml."""
    return dg.DagsterInstance.from_config(str(home_dagster_dir(home)))


def home_environment(home: Path, landing: Path | None = None) -> dict[str, str]:
    """The environment of a process serving a home (`salesops dev`): this one's, with the
    home, its landing folder and its Dagster instance, and without a run marker (a marker is
    never inherited from a caller)."""
    env = {k: v for k, v in os.environ.items() if k not in (RUN_ENV, "SALESOPS_AS_OF")}
    return env | {
        "SALESOPS_HOME": str(home),
        "SALESOPS_LANDING": str((landing or home / "landing").resolve()),
        "DAGSTER_HOME": str(home_dagster_dir(home)),
    }


# -- runs launched by Dagster --------------------------------------------------------------

_CLAIMS: dict[str, HomeLock] = {}  # run id -> the lock its warehouse resource took


def claim_home(home: Path | str, context: dg.InitResourceContext) -> None:
    """Set-up of a run's warehouse resource: hold the home's lock for the run (unless this
    process already does: `salesops build`), record the run's process, fail dead runs."""
    run = context.run
    run_id = run.run_id if run else ""
    if held_here(home) is None:
        lock = HomeLock(home)
        try:
            lock.acquire(run_id, origin_of(run) if run else "a Dagster run")
        except HomeBusy as busy:
            raise dg.Failure(
                description=f"This run did not start: {busy}. Launch it again when that run "
                "has finished.",
                allow_retries=False,
            ) from None
        try:
            if context.instance is not None and run is not None:
                context.instance.add_run_tags(run_id, process_tags())
                for note in fail_dead_runs(context.instance, home, exclude=[run_id]):
                    if context.log:
                        context.log.warning(note)
        except BaseException:
            lock.release()  # the tear-down does not run when the set-up fails
            raise
        _CLAIMS[run_id] = lock
    if run_id:
        os.environ[RUN_ENV] = run_id


def release_home(context: dg.InitResourceContext) -> None:
    """Tear-down of a run's warehouse resource."""
    run_id = context.run.run_id if context.run else ""
    if os.environ.get(RUN_ENV) == run_id:
        os.environ.pop(RUN_ENV, None)
    lock = _CLAIMS.pop(run_id, None)
    if lock:
        lock.release()


class HomeRunLauncher(dg.DefaultRunLauncher):
    """Dagster's default run launcher, plus the health check run monitoring asks for: a run's
    process is alive, or the run is failed (its leftover processes stopped first). It covers
    every run of the instance, `salesops build` ones included. Configured in dagster.yaml."""

    @property
    def supports_check_run_worker_health(self) -> bool:
        return True

    def check_run_worker_health(self, run: dg.DagsterRun) -> CheckRunHealthResult:
        record = self._instance.get_run_record_by_id(run.run_id)
        reason = dead_reason(self._instance, record, home_of(self._instance)) if record else None
        if reason is None:
            return CheckRunHealthResult(WorkerStatus.RUNNING, "")
        return CheckRunHealthResult(
            WorkerStatus.FAILED, death_message(reason, stop_leftovers(run.run_id))
        )


# -- the instance's storage -------------------------------------------------------------------


class HomeEventLog(SqliteEventLogStorage):
    """Dagster's SQLite event log, keeping its engines (and one open connection each) for the
    most recently used shards instead of building a SQLAlchemy engine for every event, and
    committing without waiting for the disk (`synchronous=off`).

    Dagster's own class builds and disposes of an engine per event, checks the schema for
    every asset check event and syncs every commit; a build stores one event per dbt model and
    data test (about 1,100 on the demo company), and that alone took 13 s of a 50 s build.
    Without the sync a commit is still atomic against a crash of the process (SQLite's
    journal); only a power cut in the instant of a commit could lose or damage the run
    history, never the warehouse. The journal mode stays Dagster's (rollback journal), so the
    UI's file watcher sees every event."""

    KEEP_ENGINES = 8  # the UI reads many run shards: a bounded number stay open

    def __init__(self, base_dir: str, inst_data=None):
        super().__init__(base_dir, inst_data)
        self._engines: OrderedDict[str, sa.Engine] = OrderedDict()
        self._tables: set[str] = set()

    @contextmanager
    def _connect(self, shard: str) -> Iterator[sa.Connection]:
        with self._db_lock:
            engine = self._engines.pop(shard, None) or self._engine(shard)
            self._engines[shard] = engine
            while len(self._engines) > self.KEEP_ENGINES:
                self._engines.popitem(last=False)[1].dispose()
            with engine.connect() as conn, conn.begin():
                yield conn

    def _engine(self, shard: str) -> sa.Engine:
        engine = sa.create_engine(
            self.conn_string_for_shard(shard),
            pool_size=1,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
        )
        sa.event.listen(engine, "connect", lambda dbapi, _: dbapi.execute("pragma synchronous=off"))
        if shard not in self._initialized_dbs:
            self._initdb(engine)
            self._initialized_dbs.add(shard)
        return engine

    def has_table(self, table_name: str) -> bool:
        # Asked on every asset check event; a table, once there, stays.
        if table_name not in self._tables and super().has_table(table_name):
            self._tables.add(table_name)
        return table_name in self._tables

    def dispose(self) -> None:
        with self._db_lock:
            for engine in self._engines.values():
                engine.dispose()
            self._engines.clear()
        super().dispose()


class HomeStorage(DagsterSqliteStorage):
    """Dagster's SQLite storage under DAGSTER_HOME with :class:`HomeEventLog` as its event log.
    Configured in dagster.yaml (`storage: custom:`)."""

    def __init__(self, base_dir: str, inst_data=None):
        super().__init__(base_dir, inst_data)
        self._event_log_storage = HomeEventLog(_event_logs_directory(base_dir))

    @classmethod
    def from_config_value(cls, inst_data, config_value) -> "HomeStorage":
        return cls.from_local(inst_data=inst_data, **config_value)


# -- salesops dev ----------------------------------------------------------------------------


def supervise(command: Sequence[str], cwd: Path, grace_seconds: float = 5.0, name: str = "",
              env: dict[str, str] | None = None) -> int:
    """Run `command` in its own process group until it exits or this process gets SIGINT,
    SIGTERM or SIGHUP. On a signal: SIGINT to the whole group (what Ctrl-C does in a terminal),
    then SIGKILL to whatever of the group is left after `grace_seconds` (at once on a second
    signal). Returns the command's exit status, or 0 when stopped by a signal."""
    received: list[int] = []

    def on_signal(signum, _frame):
        received.append(signum)

    watched = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    previous = {s: signal.signal(s, on_signal) for s in watched}
    child = None
    try:
        child = subprocess.Popen(list(command), cwd=cwd, env=env, start_new_session=True)
        while not received:
            try:
                status = child.wait(timeout=0.2)
            except subprocess.TimeoutExpired:
                continue
            _signal_group(child.pid, signal.SIGKILL)  # anything it left behind
            return status
        print(
            f"{name or command[0]}: {signal.Signals(received[0]).name} received, stopping",
            file=sys.stderr,
            flush=True,
        )
        _signal_group(child.pid, signal.SIGINT)
        deadline = time.monotonic() + grace_seconds
        while child.poll() is None and time.monotonic() < deadline and len(received) < 2:
            time.sleep(0.05)
        return 0
    finally:
        if child is not None:
            _signal_group(child.pid, signal.SIGKILL)
            child.wait()
        for s, handler in previous.items():
            signal.signal(s, handler)


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass
