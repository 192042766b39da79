"""Great Expectations suites for the marts: what dbt tests express badly.

Every mart gets a suite, so a mart added later is gated without further wiring:

- volume against the previous publication: the row count may not fall below half of what
  is published now (a day that deletes most opportunities), nor grow past ten times it;
- the expectations its dbt YAML lists under `config.meta.quality`, one mapping per
  expectation, GX's snake_case name to its arguments, for example

      meta:
        quality:
          - expect_column_values_to_be_between: {column: attainment, min_value: 0}
          - expect_table_row_count_to_equal:
              value: {sql: "select count(*) from staging.stg_crm__opportunities"}
          - expect_column_values_to_be_between: {column: days, max_value: 3650, severity: warn}

  An argument written as `{sql: ...}` is the value of that query on the working database
  (conservation totals between layers). `severity: warn` reports without blocking.

GX 1.x is called directly (Dagster's GX integration supports only GX < 1.0) with a pandas data source; the
mart is read over a short-lived read-only DuckDB connection.
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

MIN_SHARE_OF_PREVIOUS = 0.5
MAX_MULTIPLE_OF_PREVIOUS = 10
SAMPLE_ROWS = 5


@dataclass
class ExpectationOutcome:
    expectation: str
    kwargs: dict[str, Any]
    severity: str  # "error" or "warn"
    success: bool
    observed: Any = None
    unexpected_count: int | None = None
    sample_rows: list[dict[str, Any]] = field(default_factory=list)

    def describe(self) -> str:
        args = ", ".join(f"{k}={v}" for k, v in self.kwargs.items())
        text = f"{self.expectation}({args})"
        if self.observed is not None:
            text += f": observed {self.observed}"
        if self.unexpected_count:
            text += f": {self.unexpected_count} row(s) fail"
        return text


@dataclass
class SuiteResult:
    mart: str
    rows: int
    outcomes: list[ExpectationOutcome]

    @property
    def failed(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if not o.success]

    @property
    def severity(self) -> str | None:
        """'error' when a blocking expectation failed, 'warn' when only warnings did."""
        if any(o.severity == "error" for o in self.failed):
            return "error"
        return "warn" if self.failed else None


def expectations_for(
    node: dict[str, Any], previous_rows: int | None
) -> list[tuple[str, dict[str, Any], str]]:
    """(expectation name, arguments, severity) for one mart's manifest node."""
    specs: list[tuple[str, dict[str, Any], str]] = []
    if previous_rows:
        specs.append(
            (
                "expect_table_row_count_to_be_between",
                {
                    "min_value": math.ceil(previous_rows * MIN_SHARE_OF_PREVIOUS),
                    "max_value": previous_rows * MAX_MULTIPLE_OF_PREVIOUS,
                },
                "error",
            )
        )
    for item in node.get("config", {}).get("meta", {}).get("quality", []):
        ((name, kwargs),) = item.items()
        kwargs = dict(kwargs or {})
        severity = kwargs.pop("severity", "error")
        specs.append((name, kwargs, severity))
    return specs


@functools.cache
def _gx_context():
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    return context


def _resolve(value: Any, con: duckdb.DuckDBPyConnection) -> Any:
    if isinstance(value, dict) and set(value) == {"sql"}:
        result = con.execute(value["sql"]).fetchall()[0][0]
        return float(result) if result is not None and not isinstance(result, int) else result
    return value


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def run_suite(database: Path, node: dict[str, Any], previous_rows: int | None) -> SuiteResult:
    """Validate one mart of the working database against its suite."""
    import great_expectations as gx
    from great_expectations.expectations.registry import get_expectation_impl

    name, schema = node["name"], node["config"]["schema"]
    con = duckdb.connect(str(database), read_only=True)
    try:
        frame = con.execute(f"select * from {schema}.{name}").df()
        specs = [
            (expectation, {k: _resolve(v, con) for k, v in kwargs.items()}, severity)
            for expectation, kwargs, severity in expectations_for(node, previous_rows)
        ]
    finally:
        con.close()
    outcomes: list[ExpectationOutcome] = []
    if specs:
        context = _gx_context()
        source = context.data_sources.add_or_update_pandas(f"marts_{name}")
        asset = source.add_dataframe_asset(name)
        batch = asset.add_batch_definition_whole_dataframe("whole").get_batch(
            batch_parameters={"dataframe": frame}
        )
        suite = gx.ExpectationSuite(name=f"{name}_suite")
        for expectation, kwargs, _ in specs:
            suite.add_expectation(get_expectation_impl(expectation)(**kwargs))
        validation = batch.validate(suite, result_format="COMPLETE")
        for (expectation, kwargs, severity), result in zip(specs, validation.results):
            details = result.result or {}
            indexes = (details.get("unexpected_index_list") or [])[:SAMPLE_ROWS]
            samples = [
                {k: _jsonable(v) for k, v in row.items()}
                for row in frame.loc[[i for i in indexes if i in frame.index]].to_dict("records")
            ]
            outcomes.append(
                ExpectationOutcome(
                    expectation,
                    kwargs,
                    severity,
                    bool(result.success),
                    _jsonable(details.get("observed_value")),
                    details.get("unexpected_count"),
                    samples,
                )
            )
    return SuiteResult(name, len(frame), outcomes)


def failure_report(result: SuiteResult) -> str:
    """Which expectations failed, with sample failing rows, for logs and check metadata."""
    lines = []
    for outcome in result.failed:
        lines.append(f"[{outcome.severity}] {result.mart}: {outcome.describe()}")
        lines.extend(f"    {json.dumps(row, default=str)}" for row in outcome.sample_rows)
    return "\n".join(lines)
