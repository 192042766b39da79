"""The end-of-build summary `salesops build` prints: a table per asset (rows, checks passed,
failed and warned, rejected rows), each source's freshness, and then every failed step,
every failed check and every warning, each with what it found (failing rows with their key,
source file and line; broken files with their share and commonest reason); and the one line
that ends it: what was published, and the cause of a failure."""

from __future__ import annotations

from collections import Counter
from pathlib import Path


def _table(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for n, row in enumerate(rows):
        cells = [c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))]
        lines.append("  ".join(cells))
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def innermost(error):
    """The innermost error of a step failure: Dagster wraps the one that says what happened."""
    while error.cause is not None:
        error = error.cause
    return error


def _root_cause(error) -> str:
    lines = innermost(error).message.strip().splitlines()
    return "\n    ".join(lines[:40])


def _check_lines(evaluation) -> str:
    key = evaluation.asset_key.to_user_string()
    lines = [f"{evaluation.severity.value} {key}: {evaluation.check_name}"]
    if evaluation.description:
        lines += [f"    {line}" for line in evaluation.description.splitlines()]
    return "\n".join(f"  {line}" for line in lines)


def _freshness_line(evaluation) -> str:
    meta = {k: v.value for k, v in evaluation.metadata.items()}
    source = evaluation.asset_key.path[-1]
    latest = meta.get("latest_landing_day", "none")
    lag = meta.get("lag_days")
    state = "fresh" if evaluation.passed else f"STALE ({evaluation.severity.value.lower()})"
    lag_text = f"{lag} day(s) behind" if lag is not None else "no landing day"
    return (
        f"  {source}: latest landing day {latest}, {lag_text} the as-of day "
        f"{meta.get('as_of')} (allowed {meta.get('freshness_days')}): {state}"
    )


def _row_counts(database: Path) -> tuple[dict[str, int], dict[str, int]]:
    """Rows per table asset and rejected rows per source, from the working database. Views
    (staging) get none: counting them would run them again."""
    import duckdb

    rows: dict[str, int] = {}
    rejected: dict[str, int] = {}
    if not database.exists():
        return rows, rejected
    con = duckdb.connect(str(database), read_only=True)
    try:
        for schema, name in con.execute(
            "select schema_name, table_name from duckdb_tables() "
            "where schema_name in ('raw', 'intermediate', 'seeds', 'marts') "
            "and table_name not like '\\_%' escape '\\'"
        ).fetchall():
            key = f"raw/{name.split('__')[0]}" if schema == "raw" else f"{schema}/{name}"
            count = con.execute(f'select count(*) from {schema}."{name}"').fetchall()[0][0]
            rows[key] = rows.get(key, 0) + count
        for source, n in con.execute(
            "select source, count(*) from raw._rejects group by source"
        ).fetchall():
            rejected[f"raw/{source}"] = n
    except duckdb.Error:
        pass  # a build that failed before creating a table still gets its summary
    finally:
        con.close()
    return rows, rejected


def build_summary(result, database: Path) -> tuple[str, int]:
    """The summary text of one build run and the number of failed blocking checks."""
    checks: dict[str, Counter] = {}
    failed, warned, freshness = [], [], []
    for evaluation in result.get_asset_check_evaluations():
        key = evaluation.asset_key.to_user_string()
        outcome = "passed" if evaluation.passed else evaluation.severity.value.lower()
        checks.setdefault(key, Counter())[outcome] += 1
        if evaluation.check_name == "freshness":
            freshness.append(evaluation)
        if not evaluation.passed:
            (failed if outcome == "error" else warned).append(evaluation)
    materialized = {
        event.asset_key.to_user_string() for event in result.get_asset_materialization_events()
    }
    rows, rejected = _row_counts(database)
    keys = sorted(materialized | set(checks), key=lambda k: (k.split("/")[0] != "raw", k))
    table = [["asset", "rows", "checks passed", "checks failed", "warned", "rejected rows"]]
    for key in keys:
        c = checks.get(key, Counter())
        table.append(
            [
                key,
                str(rows[key]) if key in rows else "-",
                str(c["passed"]),
                str(c["error"]),
                str(c["warn"]),
                str(rejected.get(key, 0)) if key.startswith("raw/") else "-",
            ]
        )
    total = Counter()
    for c in checks.values():
        total.update(c)
    text = _table(table) + (
        f"\n\n{len(keys)} assets, {total['passed']} checks passed, {total['error']} failed, "
        f"{total['warn']} warned, {sum(rejected.values())} rows rejected at ingestion"
    )
    if freshness:
        text += "\n\nSource freshness:\n" + "\n".join(
            _freshness_line(e) for e in sorted(freshness, key=lambda e: e.asset_key.path)
        )
    step_failures = [
        f"  {event.step_key}: {_root_cause(event.step_failure_data.error)}"
        for event in result.all_events
        if event.event_type_value == "STEP_FAILURE" and event.step_failure_data.error
    ]
    if step_failures:
        text += "\n\nFailed steps:\n" + "\n".join(step_failures)
    if failed:
        text += f"\n\nFailed checks ({len(failed)}, blocking publication):\n" + "\n".join(
            _check_lines(e) for e in failed
        )
    if warned:
        text += f"\n\nWarnings ({len(warned)}, published with the run):\n" + "\n".join(
            _check_lines(e) for e in warned
        )
    return text, total["error"]


def published_line(result, home: Path) -> str | None:
    """'published as of <day> to <folder> (run <id>)' when the run published, else None."""
    published = any(
        e.asset_key.to_user_string() == "published/marts"
        for e in result.get_asset_materialization_events()
    )
    if not published:
        return None
    from orchestration.publish.publisher import current_publication

    info = current_publication(home) or {}
    return f"published as of {info.get('as_of')} to {home / 'published'} (run {result.run_id})"


def run_outcome(result) -> str | None:
    """The cause of a failed run in one line, or None when it succeeded: the blocking checks
    that failed (their first finding), else the first failed step. Raises KeyboardInterrupt
    when the run was interrupted."""
    failures = [
        e for e in result.all_events
        if e.event_type_value == "STEP_FAILURE" and e.step_failure_data.error
    ]
    causes = [innermost(e.step_failure_data.error) for e in failures]
    if any(c.cls_name == "DagsterExecutionInterruptedError" for c in causes):
        raise KeyboardInterrupt
    blocking = [
        e for e in result.get_asset_check_evaluations()
        if not e.passed and e.severity.value == "ERROR"
    ]
    if blocking:
        first = blocking[0]
        finding = (first.description or "").strip().splitlines()[:1]
        more = f" (and {len(blocking) - 1} more failed check(s))" if len(blocking) > 1 else ""
        return (f"check {first.asset_key.to_user_string()} {first.check_name} failed"
                + (f": {finding[0][:300]}" if finding else "") + more)
    if failures:
        cause = causes[0].message.strip().splitlines()[0]
        more = f" (and {len(failures) - 1} more failed step(s))" if len(failures) > 1 else ""
        return f"step {failures[0].step_key} failed: {cause[:300]}{more}"
    return None if result.success else "the run did not succeed (see the summary above)"
