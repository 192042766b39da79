"""The Dagster code location loads and its graph runs landing -> raw -> staging -> marts ->
published, with dbt tests as asset checks."""

from datetime import date

import dagster as dg
import duckdb

from orchestration.cli import main
from orchestration.definitions import defs
from orchestration.transform.assets import dbt_build_args, record_as_of


def _graph():
    return defs.resolve_asset_graph()


def test_definitions_load_with_job_schedule_and_sensor():
    dg.Definitions.validate_loadable(defs)
    job = defs.resolve_job_def("build")  # raises when there is no such job
    # The build job materializes the whole graph (landing -> published), and it is what the
    # schedule and the sensor start.
    assert set(job.asset_layer.selected_asset_keys) == set(_graph().get_all_asset_keys())
    assert [s.name for s in defs.schedules] == ["daily_build"]
    assert [s.name for s in defs.sensors] == ["new_landing_day"]
    assert defs.resolve_schedule_def("daily_build").job_name == "build"
    assert defs.resolve_sensor_def("new_landing_day").job_name == "build"


def test_asset_graph_runs_ingest_to_staging_to_marts_to_publish():
    graph = _graph()
    key = dg.AssetKey

    def parents(k):
        return graph.get(k).parent_keys

    assert {key(["raw", s]) for s in ("crm", "hr", "comp")} <= graph.get_all_asset_keys()
    assert key(["raw", "crm"]) in parents(key(["staging", "stg_crm__opportunities"]))
    assert key(["raw", "hr"]) in parents(key(["staging", "stg_hr__employees"]))
    # staging -> intermediate (the core layer that owns each rule) -> marts
    assert key(["staging", "stg_crm__opportunities"]) in parents(key(["intermediate", "int_opportunities_owned"]))
    assert key(["intermediate", "int_opportunities_owned"]) in parents(key(["marts", "fct_opportunities"]))
    assert key(["staging", "stg_hr__job_history"]) in parents(key(["intermediate", "int_employee_jobs_spanned"]))
    assert key(["intermediate", "int_employee_jobs_spanned"]) in parents(key(["marts", "dim_rep"]))
    assert {key(["marts", "dim_rep"]), key(["marts", "fct_opportunities"])} <= parents(
        key(["published", "marts"])
    )


def test_dbt_tests_are_asset_checks_on_their_models():
    checks = {(c.asset_key.to_user_string(), c.name) for c in _graph().asset_check_keys}
    assert ("marts/fct_opportunities", "unique_fct_opportunities_opportunity_id") in checks
    assert any(a == "raw/crm" and n.startswith("source_no_conflicting_versions") for a, n in checks)


def test_the_as_of_day_is_recorded_in_the_warehouse_not_passed_as_a_var():
    # A var that changes every day would make dbt parse the whole project on every build.
    assert "--vars" not in dbt_build_args()
    con = duckdb.connect()
    con.execute("create schema raw")
    con.execute("create table raw._loaded_days as select * from (values (date '2025-03-01'), (date '2025-03-04')) t(batch_date)")
    record_as_of(con, date(2025, 3, 2))
    assert con.execute("select * from raw._build_as_of").fetchall() == [(date(2025, 3, 2),)]
    # No day configured or landed: the latest day loaded.
    record_as_of(con, None)
    assert con.execute("select * from raw._build_as_of").fetchall() == [(date(2025, 3, 4),)]


def test_dbt_sources_match_the_contracts():
    # `salesops contracts` exits 1 when a committed _<source>__sources.yml differs from what
    # contracts.yml renders.
    assert main(["contracts"]) == 0


def test_the_ingest_step_imports_neither_quality_nor_the_dbt_project():
    # Each step reaches another only through its public modules; ingest needs no dbt manifest.
    import subprocess
    import sys

    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, orchestration.ingest.assets; print(' '.join(sys.modules))"],
        capture_output=True, text=True, check=True,
    ).stdout.split()
    assert "orchestration.ingest.assets" in loaded
    assert [m for m in loaded if m.startswith(("orchestration.quality", "orchestration.transform", "dagster_dbt"))] == []


def test_settings_reach_dagster_as_config_not_by_writing_the_environment():
    # The one write left is runs.py's run marker, which the processes of a run inherit so that
    # a dead run's leftovers can be found (and transform/project.py puts dbt on PATH).
    import re
    from pathlib import Path

    root = Path(__file__).parent.parent / "orchestration"
    writes = {
        str(path.relative_to(root)): len(re.findall(r"os\.environ(\[[^\]]+\]\s*=|\.update\(|\.pop\(|\.setdefault\()", text))
        for path in sorted(root.rglob("*.py"))
        if (text := path.read_text())
    }
    assert {name: n for name, n in writes.items() if n} == {"runs.py": 2, "transform/project.py": 1}


def test_dbt_partial_parse_state_is_dropped_when_project_files_move(tmp_path):
    # A file added, removed or renamed in the project (a model moved to another folder) makes
    # the next parse a full one; an unchanged set of files keeps dbt's partial-parse state.
    from orchestration.transform.project import drop_partial_parse_if_files_moved

    state = tmp_path / "partial_parse.msgpack"
    state.write_bytes(b"state")
    drop_partial_parse_if_files_moved(tmp_path)  # no record yet: unknown files, full parse
    assert not state.exists()
    state.write_bytes(b"state")
    drop_partial_parse_if_files_moved(tmp_path)  # the same files as recorded: kept
    assert state.read_bytes() == b"state"
    record = tmp_path / "salesops_project_files.txt"
    record.write_text(record.read_text().replace("int_opportunity_states_spanned.sql", "moved.sql"))
    drop_partial_parse_if_files_moved(tmp_path)  # the recorded files differ: dropped
    assert not state.exists()
