"""The dbt project, as Dagster sees it.

The manifest is prepared ahead of time (`prepare_manifest`, called by `salesops build` and
the tests, or `dagster-dbt project prepare-and-package` in a deployment), never parsed at
import time outside `dagster dev`.
"""

from __future__ import annotations

import functools
import importlib.metadata
import json
import os
import shutil
import sys
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject
from packaging import version

from orchestration import PROJECT_ROOT

DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
# dbt is installed beside this Python; find it there even when the venv is not activated.
DBT_EXECUTABLE = Path(sys.executable).with_name("dbt")
if str(DBT_EXECUTABLE.parent) not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = os.pathsep.join([str(DBT_EXECUTABLE.parent), os.environ.get("PATH", "")])

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
dbt_project.prepare_if_dev()


class DbtCli(DbtCliResource):
    """dagster-dbt's dbt CLI resource, without two start-up costs of every build that this
    project has no use for: running `dbt --version` (dbt is installed beside this Python, so
    its version is the installed package's) and setting up a dbt adapter inside the Dagster
    process (dagster-dbt uses it only to fetch column metadata, which this project does not
    ask for). Together about 3 s of every build."""

    @functools.cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(importlib.metadata.version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args):
        return None

# What the manifest is made from: a change to any of these makes it stale.
_SOURCES = ("dbt_project.yml", "profiles.yml", "models", "seeds", "macros", "tests")


def _source_files() -> list[Path]:
    files = []
    for name in _SOURCES:
        path = DBT_PROJECT_DIR / name
        found = [path] if path.is_file() else path.rglob("*") if path.exists() else []
        files += sorted(f for f in found if f.is_file())
    return files


def _newest_source_mtime() -> float:
    return max([0.0] + [f.stat().st_mtime for f in _source_files()])


def drop_partial_parse_if_files_moved(target: Path) -> None:
    """dbt's partial parsing follows edits to files, but not every move between them: when a
    model moved to another folder and its unit test to another YAML file, dbt 1.11 found the
    unit test twice and every parse failed until its state was removed. So when the set of
    project files has changed since the last parse into `target` (a file added, removed or
    renamed), dbt's partial-parse state there is dropped and the next parse is a full one."""
    listing = "\n".join(str(f.relative_to(DBT_PROJECT_DIR)) for f in _source_files())
    record = target / "salesops_project_files.txt"
    if record.exists() and record.read_text() == listing:
        return
    (target / "partial_parse.msgpack").unlink(missing_ok=True)
    target.mkdir(parents=True, exist_ok=True)
    record.write_text(listing)


def prepare_manifest(force: bool = False) -> Path:
    """Parse the dbt project into target/manifest.json when it is missing or stale."""
    manifest = Path(dbt_project.manifest_path)
    drop_partial_parse_if_files_moved(manifest.parent)
    if force or not manifest.exists() or manifest.stat().st_mtime < _newest_source_mtime():
        dbt_project.preparer.prepare(dbt_project)
        # Builds used to leave one artifact folder each here (about 20 MB); they now write to
        # their home (transform/assets.py, dbt_target_path).
        for stale in manifest.parent.glob("dbt_models-*"):
            shutil.rmtree(stale, ignore_errors=True)
    return manifest


@functools.cache
def dbt_manifest() -> dict:
    """The parsed dbt manifest (target/manifest.json)."""
    return json.loads(Path(dbt_project.manifest_path).read_text())
