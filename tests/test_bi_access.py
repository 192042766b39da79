"""What BI readers get besides the dashboard: the dbt docs site (every mart and column
described), the metric definitions queried with MetricFlow, and a read-only SQLAlchemy
connection to the publication (README "Point your BI tool here")."""

from __future__ import annotations

import copy
import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from orchestration import PROJECT_ROOT, runs
from orchestration.cli import main
from orchestration.docs import undescribed
from orchestration.publish.publisher import marts_from_manifest
from orchestration.transform.project import dbt_manifest

# The metrics the issue names, each defined in models/marts/semantic.
HEADLINE_METRICS = {
    "bookings", "ramp_adjusted_attainment", "share_at_quota_monthly", "share_at_quota_quarterly",
    "win_rate", "avg_sales_cycle_days", "turnover_rate", "forecast_wape", "forecast_bias",
    "pipeline_coverage",
}


def test_every_mart_and_mart_column_has_a_description(dbt_manifest):
    manifest = json.loads(dbt_manifest.read_text())
    assert undescribed(manifest) == []
    assert len(marts_from_manifest(manifest)) >= 20  # the check ran over the real marts


def test_a_mart_or_column_without_a_description_is_reported():
    manifest = copy.deepcopy(dbt_manifest())
    node = manifest["nodes"]["model.salesops.fct_quota_attainment"]
    node["columns"]["attainment"]["description"] = " "
    manifest["nodes"]["model.salesops.dim_rep"]["description"] = ""
    # An intermediate model is not a mart: its descriptions are not required.
    manifest["nodes"]["model.salesops.int_accounts_assigned"]["description"] = ""
    assert undescribed(manifest) == ["dim_rep", "fct_quota_attainment.attainment"]


def test_the_headline_metrics_are_defined_with_a_description(dbt_manifest):
    semantic = json.loads(dbt_manifest.with_name("semantic_manifest.json").read_text())
    metrics = {m["name"]: m for m in semantic["metrics"]}
    assert HEADLINE_METRICS <= set(metrics)
    assert all(metrics[name]["description"].strip() for name in HEADLINE_METRICS)
    time_spines = semantic["project_configuration"]["time_spines"]
    assert [t["node_relation"]["alias"] for t in time_spines] == ["dim_date"]


def test_docs_out_writes_a_site_where_every_mart_is_described(handmade_baseline, tmp_path, capsys):
    home = tmp_path / "home"
    shutil.copytree(handmade_baseline / "home", home, symlinks=True)
    site = tmp_path / "site"
    assert main(["docs", "--home", str(home), "--out", str(site)]) == 0
    assert "warning" not in capsys.readouterr().err
    manifest = json.loads((site / "manifest.json").read_text())
    catalog = json.loads((site / "catalog.json").read_text())
    index = (site / "index.html").read_text()
    marts = marts_from_manifest(manifest)
    assert len(marts) >= 20
    for mart in marts:
        node = manifest["nodes"][f"model.salesops.{mart.name}"]
        assert node["description"].strip(), mart.name
        # The catalog is the built table's: its columns are the documented ones.
        built = catalog["nodes"][f"model.salesops.{mart.name}"]["columns"]
        assert {c.lower() for c in built} == {c.lower() for c in node["columns"]}, mart.name
        assert mart.name in index
    # The metric definitions are in the site too.
    assert "metric.salesops.ramp_adjusted_attainment" in manifest["metrics"]
    assert "ramp_adjusted_attainment" in index


def test_docs_never_wait_on_a_running_build(handmade_baseline, tmp_path, capsys):
    home = tmp_path / "home"
    shutil.copytree(handmade_baseline / "home", home, symlinks=True)
    lock = runs.HomeLock(home)
    lock.acquire("a-build-in-progress", "salesops build")
    try:
        assert main(["docs", "--home", str(home), "--out", str(tmp_path / "site")]) == 2
    finally:
        lock.release()
    assert "a-build-in-progress" in capsys.readouterr().err
    assert not (tmp_path / "site").exists()


def salesops_metrics(home: Path, out: Path, *args: str) -> list[dict[str, str]]:
    """`salesops metrics ... --csv out` in its own process, as a user runs it; the rows."""
    done = subprocess.run(
        [str(Path(sys.executable).with_name("salesops")), "metrics", "--home", str(home), *args, "--csv", str(out)],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return list(csv.DictReader(out.open()))


def test_metrics_give_the_hand_computed_attainment_of_the_handmade_landing(handmade_baseline, tmp_path):
    # tests/fixtures/handmade: E_AE1 and E_AE2 each have a Q1 2025 quarterly quota of 30,000
    # (10,000 a month), past their ramp (quota_share 1). o1 (1,000 USD, won 2025-02-20) is
    # split 60/40 between them; o3 (2,100 USD, won 2025-03-02) is E_AE1's. E_AE2 left on
    # 2025-02-28, but the quarterly quota row starts before that, so its March third counts.
    # The rehired rep (fixture README): E_AE3 30,000 in Q3 2024 (10,000 a month, no ramp), o21
    # (2,000, won 2024-08-15); E_AE3R 30,000 in Q1 2025 ramped from the rehire (January 0,
    # February 5,000, March 10,000), o22 (3,000, won 2025-02-14).
    # So: July 2024 0 / 10,000; August 2,000 / 10,000 = 20%; September 0 / 10,000; January
    # 2025 0 / 20,000; February 4,000 / 25,000 = 16%; March 2,100 / 30,000 = 7%; Q3 2024
    # 2,000 / 30,000 and Q1 2025 6,100 / 75,000.
    home = handmade_baseline / "home"
    rows = salesops_metrics(home, tmp_path / "months.csv", "--metrics", "bookings,ramp_adjusted_attainment",
                            "--group-by", "metric_time__month", "--order", "metric_time__month")
    assert [(r["metric_time__month"][:10], float(r["bookings"]), float(r["ramp_adjusted_attainment"]))
            for r in rows] == [("2024-07-01", 0.0, 0.0), ("2024-08-01", 2000.0, pytest.approx(0.2)),
                               ("2024-09-01", 0.0, 0.0), ("2025-01-01", 0.0, 0.0),
                               ("2025-02-01", 4000.0, pytest.approx(0.16)),
                               ("2025-03-01", 2100.0, pytest.approx(0.07))]
    rows = salesops_metrics(home, tmp_path / "quarter.csv", "--metrics", "ramp_adjusted_attainment",
                            "--group-by", "metric_time__fiscal_quarter", "--order", "metric_time__fiscal_quarter")
    assert [float(r["ramp_adjusted_attainment"]) for r in rows] == [
        pytest.approx(2000 / 30000), pytest.approx(6100 / 75000)]


def test_turnover_metric_gives_the_hand_computed_rate_and_none_before_the_hr_history(handmade_baseline, tmp_path):
    # tests/fixtures/handmade/hr: E_MGR (hired 2023), E_AE1 (2024-01-08), E_AE2 (2024-09-02,
    # last day 2025-02-28), E_AE3 (2024-04-01, last day 2024-10-31) rehired as E_AE3R
    # (2025-01-06). October 2024: opening 4, closing 3, one separation: 1 / 3.5. November,
    # December: 0 / 3. January 2025: 3 -> 4, 0. February: opening 4, closing 3, one
    # separation: 1 / 3.5. March: 0 / 3. The HR history shows separations from October 2024
    # (the month of the earliest termination, before the first HR landing day 2025-03-01), so
    # no month before it has a rate.
    rows = salesops_metrics(handmade_baseline / "home", tmp_path / "turnover.csv", "--metrics", "turnover_rate",
                            "--group-by", "metric_time__month", "--order", "metric_time__month")
    assert [(r["metric_time__month"][:10], float(r["turnover_rate"])) for r in rows] == [
        ("2024-10-01", pytest.approx(1 / 3.5)), ("2024-11-01", 0.0), ("2024-12-01", 0.0),
        ("2025-01-01", 0.0), ("2025-02-01", pytest.approx(1 / 3.5)), ("2025-03-01", 0.0)]


def test_sqlalchemy_reads_the_publication_read_only(handmade_baseline):
    # The connection the README gives Superset and Metabase (duckdb-engine).
    import sqlalchemy as sa

    bi = handmade_baseline / "home" / "published" / "bi.duckdb"
    engine = sa.create_engine(f"duckdb:///{bi}", connect_args={"read_only": True})
    try:
        with engine.connect() as con:
            tables = set(sa.inspect(con).get_table_names(schema="marts"))
            assert {"fct_quota_attainment", "fct_opportunities", "dim_date"} <= tables
            assert "fct_commissions" not in tables  # restricted: never in bi.duckdb
            # Hand-checked: the live won opportunities are o1 (1,000), o3 (2,100), o21 (2,000)
            # and o22 (3,000).
            won = con.execute(sa.text("select sum(amount) from marts.fct_opportunities where is_won")).scalar()
            assert float(won) == 8100.0
            with pytest.raises(sa.exc.DBAPIError, match="read-only"):
                con.execute(sa.text("create table marts.scratch (x integer)"))
    finally:
        engine.dispose()
