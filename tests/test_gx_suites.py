"""The GX suites run as SQL inside DuckDB (orchestration/quality/suites.py), on a small
hand-made database: no build needed."""

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from orchestration.quality.suites import SAMPLE_ROWS, failure_report, run_suite, run_suites


def node(name: str, quality: list[dict], schema: str = "marts") -> dict:
    return {"name": name, "config": {"schema": schema, "meta": {"quality": quality}}}


@pytest.fixture(scope="module")
def database(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("gx") / "warehouse.duckdb"
    con = duckdb.connect(str(path))
    con.execute("create schema marts; create schema staging")
    # 1,000 rows; rate < 0 on every 10th row (100 rows), valid_to before valid_from on 3.
    con.execute(
        """create table marts.fct_things as
        select i as id, 'thing ' || i as name, cast(i * 1.5 as decimal(18, 2)) as amount,
               case when i % 10 = 0 then -1.0 else i / 1000.0 end as rate,
               date '2025-01-01' + cast(i as integer) as valid_from,
               case when i in (1, 2, 3) then date '2024-01-01'
                    when i % 7 = 0 then null else date '2025-01-01' + cast(i as integer) + 30 end as valid_to
        from range(1000) t(i)"""
    )
    con.execute("create table staging.stg_things as select * from marts.fct_things")
    con.execute("create table marts.dim_empty (id integer)")
    con.close()
    return path


def test_every_expectation_runs_as_sql_with_bounded_samples(database):
    quality = [
        {"expect_table_row_count_to_equal": {"value": {"sql": "select count(*) from staging.stg_things"}}},
        {"expect_column_sum_to_be_between": {
            "column": "amount",
            "min_value": {"sql": "select sum(amount) - 0.005 from staging.stg_things"},
            "max_value": {"sql": "select sum(amount) + 0.005 from staging.stg_things"}}},
        {"expect_column_values_to_be_between": {"column": "rate", "min_value": 0, "max_value": 1}},
        {"expect_column_pair_values_a_to_be_greater_than_b": {
            "column_A": "valid_to", "column_B": "valid_from", "or_equal": True,
            "ignore_row_if": "either_value_is_missing", "severity": "warn"}},
    ]
    result = run_suite(database, node("fct_things", quality), previous_rows=3000)
    assert result.rows == 1000
    by_name = {o.expectation: o for o in result.outcomes}
    assert [o.expectation for o in result.outcomes] == [
        "expect_table_row_count_to_be_between",  # the volume rule comes first
        "expect_table_row_count_to_equal",
        "expect_column_sum_to_be_between",
        "expect_column_values_to_be_between",
        "expect_column_pair_values_a_to_be_greater_than_b",
    ]
    volume = by_name["expect_table_row_count_to_be_between"]
    assert volume.kwargs == {"min_value": 1500, "max_value": 30000}
    assert (volume.success, volume.observed, volume.severity) == (False, 1000, "error")
    equal = by_name["expect_table_row_count_to_equal"]
    assert (equal.success, equal.observed, equal.kwargs) == (True, 1000, {"value": 1000})
    total = by_name["expect_column_sum_to_be_between"]
    assert total.success and total.observed == pytest.approx(sum(i * 1.5 for i in range(1000)))
    assert isinstance(total.observed, float) and isinstance(total.kwargs["min_value"], float)
    rate = by_name["expect_column_values_to_be_between"]
    assert (rate.success, rate.unexpected_count, rate.severity) == (False, 100, "error")
    assert len(rate.sample_rows) == SAMPLE_ROWS
    assert all(row["rate"] == -1.0 and set(row) == {"id", "name", "amount", "rate", "valid_from", "valid_to"}
               for row in rate.sample_rows)
    pair = by_name["expect_column_pair_values_a_to_be_greater_than_b"]
    assert (pair.success, pair.unexpected_count, pair.severity) == (False, 3, "warn")
    assert sorted(row["id"] for row in pair.sample_rows) == [1, 2, 3]
    assert result.severity == "error"
    report = failure_report(result)
    assert "[error] fct_things: expect_table_row_count_to_be_between(min_value=1500, max_value=30000): observed 1000" in report
    assert "[error] fct_things: expect_column_values_to_be_between(column=rate, min_value=0, max_value=1): 100 row(s) fail" in report
    assert '"valid_from": "2025-01-02"' in report  # dates as dates, nulls as null
    assert "[warn] fct_things: expect_column_pair_values_a_to_be_greater_than_b(" in report


def test_a_failing_expectation_fails_alone_and_the_next_suites_still_run(database):
    broken = node("fct_things", [
        # VARCHAR against a number: a DuckDB error inside the shared connection's transaction
        {"expect_column_values_to_be_between": {"column": "name", "min_value": 0}},
        {"expect_column_values_to_be_between": {"column": "no_such_column", "min_value": 0}},
        {"expect_column_values_to_be_between": {"column": "amount", "min_value": 0}},
    ])
    results = run_suites(database, [(broken, None), (node("dim_empty", []), 10)])
    first, empty = results
    assert [(o.success, o.unexpected_count) for o in first.outcomes] == [(False, None), (False, None), (True, 0)]
    assert empty.rows == 0 and [(o.success, o.observed) for o in empty.outcomes] == [(False, 0)]


def test_the_database_is_free_for_a_writer_after_the_suites_and_after_an_error(database):
    probe = [sys.executable, "-c", f"import duckdb; duckdb.connect({str(database)!r}).close()"]
    run_suites(database, [(node("fct_things", []), 1000)])
    assert subprocess.run(probe, capture_output=True).returncode == 0
    with pytest.raises(Exception, match="no_such_mart"):
        run_suites(database, [(node("fct_things", []), 1000), (node("no_such_mart", []), 1)])
    assert subprocess.run(probe, capture_output=True).returncode == 0


def test_loading_the_definitions_does_not_import_great_expectations():
    code = ("import sys, orchestration.definitions; "
            "assert not [m for m in sys.modules if m.split('.')[0] in "
            "('great_expectations', 'duckdb_engine', 'sqlalchemy')]")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
