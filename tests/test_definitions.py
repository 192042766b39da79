"""The Dagster code location loads and its graph runs landing -> raw -> staging -> marts ->
published, with dbt tests as asset checks."""

import json

import dagster as dg

from orchestration.cli import main
from orchestration.definitions import defs
from orchestration.transform.assets import dbt_build_args


def _graph():
    return defs.resolve_asset_graph()


def test_definitions_load_with_job_schedule_and_sensor():
    dg.Definitions.validate_loadable(defs)
    assert defs.resolve_job_def("build") is not None
    assert [s.name for s in defs.schedules] == ["daily_build"]
    assert [s.name for s in defs.sensors] == ["new_landing_day"]


def test_asset_graph_runs_ingest_to_staging_to_marts_to_publish():
    graph = _graph()
    key = dg.AssetKey

    def parents(k):
        return graph.get(k).parent_keys

    assert {key(["raw", s]) for s in ("crm", "hr", "comp")} <= graph.get_all_asset_keys()
    assert key(["raw", "crm"]) in parents(key(["staging", "stg_crm__opportunities"]))
    assert key(["raw", "hr"]) in parents(key(["staging", "stg_hr__employees"]))
    assert key(["staging", "stg_crm__opportunities"]) in parents(key(["marts", "fct_opportunities"]))
    assert key(["staging", "stg_hr__job_history"]) in parents(key(["marts", "dim_rep"]))
    assert {key(["marts", "dim_rep"]), key(["marts", "fct_opportunities"])} <= parents(
        key(["published", "marts"])
    )


def test_dbt_tests_are_asset_checks_on_their_models():
    checks = {(c.asset_key.to_user_string(), c.name) for c in _graph().asset_check_keys}
    assert ("marts/fct_opportunities", "unique_fct_opportunities_opportunity_id") in checks
    assert any(a == "raw/crm" and n.startswith("source_no_conflicting_versions") for a, n in checks)


def test_dbt_build_args_pass_the_as_of_day_as_a_var():
    from datetime import date

    assert dbt_build_args(None) == ["build", "--exclude-resource-type", "unit_test"]
    args = dbt_build_args(date(2025, 3, 1))
    assert args[-2] == "--vars" and json.loads(args[-1]) == {"as_of": "2025-03-01"}


def test_dbt_sources_match_the_contracts():
    # `salesops contracts` exits 1 when a committed _<source>__sources.yml differs from what
    # contracts.yml renders.
    assert main(["contracts"]) == 0
