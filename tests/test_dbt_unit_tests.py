"""Every dbt unit test (the hand-computed rows in the models' YAML) passes.

The daily build skips unit tests (they prove the SQL, not the data); this runs them all on a
copy of the warehouse of the session's hand-made build: every upstream relation exists there,
and the unit tests do not wait for the build of a large company."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from orchestration.transform.project import DBT_PROJECT_DIR, dbt_manifest


def test_every_dbt_unit_test_passes(handmade_baseline, tmp_path):
    expected = sum(1 for _ in dbt_manifest().get("unit_tests", {}))
    assert expected >= 30  # every mart has its hand-computed cases
    warehouse = shutil.copy(handmade_baseline / "home" / "warehouse.duckdb", tmp_path)
    env = os.environ | {"SALESOPS_WAREHOUSE": str(warehouse)}
    result = subprocess.run(
        [str(Path(sys.executable).with_name("dbt")), "test", "--select", "test_type:unit",
         "--target-path", str(tmp_path / "target"), "--profiles-dir", str(DBT_PROJECT_DIR)],
        cwd=DBT_PROJECT_DIR, env=env, capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stdout[-5000:]
    results = json.loads((tmp_path / "target/run_results.json").read_text())["results"]
    assert len(results) == expected
    assert {r["status"] for r in results} == {"pass"}
