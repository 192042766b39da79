"""Every dbt unit test (the hand-computed rows in the models' YAML) passes.

The daily build skips unit tests (they prove the SQL, not the data); this runs them all, on
the warehouse of the session's generated company, where every upstream relation exists."""

import json
import os
import subprocess
import sys
from pathlib import Path

from orchestration.transform.project import DBT_PROJECT_DIR, dbt_manifest


def test_every_dbt_unit_test_passes(generated_home, tmp_path):
    expected = sum(1 for _ in dbt_manifest().get("unit_tests", {}))
    assert expected >= 30  # every mart has its hand-computed cases
    env = os.environ | {"SALESOPS_WAREHOUSE": str(generated_home / "warehouse.duckdb")}
    result = subprocess.run(
        [str(Path(sys.executable).with_name("dbt")), "test", "--select", "test_type:unit",
         "--target-path", str(tmp_path / "target"), "--profiles-dir", str(DBT_PROJECT_DIR)],
        cwd=DBT_PROJECT_DIR, env=env, capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stdout[-5000:]
    results = json.loads((tmp_path / "target/run_results.json").read_text())["results"]
    assert len(results) == expected
    assert {r["status"] for r in results} == {"pass"}
