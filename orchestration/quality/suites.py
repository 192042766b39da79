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

GX 1.x is called directly (Dagster's GX integration supports only GX < 1.0) and validates the
marts where they are: every expectation runs as SQL inside DuckDB, so no mart is read into
Python. `run_suites` serves a whole build step with one ephemeral GX context (no file context,
no data docs, no analytics, no progress bars) and one SQL data source on the working database
(SQLAlchemy through duckdb-engine, read-only); each mart is a table asset validated whole. A
row count, a column sum or a count of failing rows is one aggregate query; the sample of
failing rows is GX's unexpected rows, which it selects with `LIMIT SAMPLE_ROWS`. The
`{sql: ...}` arguments and each mart's row count run on the same connection.

Two things make GX's generic SQL path work on DuckDB, both through GX's own extension points:

- DuckDB keeps one result per connection, and GX's SQL engine closes (rolls back) a connection
  before it fetches the rows of the query it ran on it, which empties them (the
  MetricResolutionError "list index out of range" of earlier attempts). The data source's
  execution engine keeps one connection for the whole validation instead, as GX does for
  SQLite, and rolls back after a failed query, since DuckDB aborts the transaction on errors.
- duckdb-engine cannot reflect a table's columns under SQLAlchemy 2.1, and GX's fallback then
  names the table without its schema. The connection's `search_path` is the marts' schemas,
  then `main`, so a table asset names its mart without a schema (and so may a `{sql: ...}`).

DuckDB allows one writer per file and a reader blocks it: the engine is read-only and is
disposed (every connection closed) before `run_suites` returns, whether the suites passed,
failed or raised. GX (and SQLAlchemy) are imported only when the suites run, never when
Dagster loads the definitions.
"""

from __future__ import annotations

import contextlib
import json
import math
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterable, Iterator

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


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, Decimal):  # a number stays a number, as it did from pandas
        return float(value)
    return str(value)


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _gx_data_source(database: Path, schemas: list[str]):
    """One ephemeral GX context and one read-only SQL data source on the working database,
    whose connection searches the marts' schemas first."""
    import great_expectations as gx
    import sqlalchemy as sa
    from great_expectations.compatibility import pydantic
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )
    from great_expectations.datasource.fluent import SQLDatasource
    from great_expectations.execution_engine import SqlAlchemyExecutionEngine

    class _DuckDBExecutionEngine(SqlAlchemyExecutionEngine):
        """GX's SQL engine on one connection kept for the whole validation: DuckDB's
        connection holds one result, which closing (rolling back) the connection between a
        query and its fetch would empty."""

        @contextlib.contextmanager
        def get_connection(self) -> Iterator[sa.Connection]:
            if self._connection is None:
                self._connection = self.engine.connect()
            try:
                yield self._connection
            except Exception:
                # DuckDB aborts the transaction on any error: end it, so that the next
                # query (GX retries a failed bundle metric by metric) starts a fresh one.
                self._connection.rollback()
                raise

        def close(self) -> None:
            if self._connection is not None:
                self._connection.close()
                self._connection = None
            self.engine.dispose()

    class _DuckDBDatasource(SQLDatasource):
        """A SQL data source whose execution engine is the one above and shares the data
        source's own SQLAlchemy engine (one read-only engine for the step). A name that
        starts with an underscore keeps it out of GX's registry of data source types."""

        execution_engine_override = _DuckDBExecutionEngine
        _search_path: str = pydantic.PrivateAttr("main")

        def _create_engine(self) -> sa.Engine:
            engine = super()._create_engine()
            search_path = self._search_path

            @sa.event.listens_for(engine, "connect")
            def _set_search_path(dbapi_connection, _record) -> None:
                # A session setting: duckdb-engine's config would SET it globally, which
                # DuckDB refuses for search_path.
                dbapi_connection.execute(f"set search_path = '{search_path}'")

            return engine

        def get_execution_engine(self) -> _DuckDBExecutionEngine:
            if self._execution_engine is None:
                self._execution_engine = _DuckDBExecutionEngine(
                    engine=self.get_engine(), create_temp_table=False
                )
            return self._execution_engine

    context = gx.get_context(
        mode="ephemeral",
        project_config=DataContextConfig(
            store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
            analytics_enabled=False,  # no usage statistics leave the machine
            progress_bars=ProgressBarsConfig(globally=False),
        ),
    )
    source = _DuckDBDatasource(
        name="warehouse",
        connection_string=f"duckdb:///{Path(database).resolve()}",
        kwargs={"connect_args": {"read_only": True}},
    )
    # The marts' schemas, then DuckDB's default one (where unqualified names resolved before).
    source._search_path = ",".join([*dict.fromkeys(schemas), "main"]).replace("'", "''")
    return gx, context.add_datasource(datasource=source)


@contextlib.contextmanager
def _validator(database: Path, schemas: list[str]) -> Iterator[Any]:
    """A function validating one mart's suite, on a data source that is disposed on exit."""
    gx, source = _gx_data_source(database, schemas)
    from great_expectations.expectations.registry import get_expectation_impl

    result_format = {
        "result_format": "BASIC",
        "partial_unexpected_count": SAMPLE_ROWS,
        "include_unexpected_rows": True,
    }

    def scalar(sql: str) -> Any:
        with source.get_execution_engine().get_connection() as connection:
            return connection.exec_driver_sql(sql).fetchall()[0][0]

    def resolve(value: Any) -> Any:
        if isinstance(value, dict) and set(value) == {"sql"}:
            result = scalar(value["sql"])
            return float(result) if result is not None and not isinstance(result, int) else result
        return value

    def validate(node: dict[str, Any], previous_rows: int | None) -> SuiteResult:
        name, schema = node["name"], node["config"]["schema"]
        rows = scalar(f"select count(*) from {_quote(schema)}.{_quote(name)}")
        specs = [
            (expectation, {k: resolve(v) for k, v in kwargs.items()}, severity)
            for expectation, kwargs, severity in expectations_for(node, previous_rows)
        ]
        outcomes: list[ExpectationOutcome] = []
        if not specs:
            return SuiteResult(name, rows, outcomes)
        asset = source.add_table_asset(name, table_name=name)
        batch = asset.add_batch_definition_whole_table("whole").get_batch()
        suite = gx.ExpectationSuite(name=f"{name}_suite")
        for index, (expectation, kwargs, _) in enumerate(specs):
            # GX does not return results in the suite's order: each carries its spec's index.
            suite.add_expectation(get_expectation_impl(expectation)(**kwargs, meta={"spec": index}))
        validation = batch.validate(suite, result_format=result_format)
        by_index = {result.expectation_config.meta["spec"]: result for result in validation.results}
        for index, (expectation, kwargs, severity) in enumerate(specs):
            result = by_index[index]
            details = result.result or {}
            samples = [
                {k: _jsonable(v) for k, v in row.items()}
                for row in (details.get("unexpected_rows") or [])[:SAMPLE_ROWS]
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
        return SuiteResult(name, rows, outcomes)

    try:
        yield validate
    finally:
        # The data source and its execution engine share one SQLAlchemy engine: this closes
        # the kept connection and every pooled one, so the file is free for the next writer.
        source.get_execution_engine().close()


def run_suites(
    database: Path, marts: Iterable[tuple[dict[str, Any], int | None]]
) -> list[SuiteResult]:
    """Validate marts of the working database against their suites: (manifest node, rows
    of its previous publication) for each. One GX data source serves them all; it is
    disposed, releasing the database, before this returns or raises."""
    marts = list(marts)
    if not marts:
        return []
    schemas = [node["config"]["schema"] for node, _ in marts]
    with _validator(database, schemas) as validate:
        return [validate(node, previous_rows) for node, previous_rows in marts]


def run_suite(database: Path, node: dict[str, Any], previous_rows: int | None) -> SuiteResult:
    """Validate one mart of the working database against its suite."""
    return run_suites(database, [(node, previous_rows)])[0]


def failure_report(result: SuiteResult) -> str:
    """Which expectations failed, with sample failing rows, for logs and check metadata."""
    lines = []
    for outcome in result.failed:
        lines.append(f"[{outcome.severity}] {result.mart}: {outcome.describe()}")
        lines.extend(f"    {json.dumps(row, default=str)}" for row in outcome.sample_rows)
    return "\n".join(lines)
