"""The publish step: makes the marts of an audited build visible to BI in one atomic step,
then writes the as-of month's commission statements from that publication.

It runs only when every upstream step succeeded and no blocking check failed (dbt tests of
severity error, freshness, the Great Expectations suites), so a publication is all or nothing.
"""

from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import dagster as dg

from orchestration.ingest.contracts import source_freshness
from orchestration.publish.publisher import current_publication, marts_from_manifest, publish
from orchestration.publish.statements import NoCommissionData, StatementError, write_statements
from orchestration.resources import Warehouse
from orchestration.transform.project import dbt_manifest


def _check_results(context: dg.AssetExecutionContext) -> dict[str, Counter]:
    records = context.instance.get_records_for_run(
        run_id=context.run.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION, limit=100000
    ).records
    results: dict[str, Counter] = {}
    for record in records:
        evaluation = record.event_log_entry.dagster_event.event_specific_data
        outcome = "passed" if evaluation.passed else evaluation.severity.value.lower()
        results.setdefault(evaluation.asset_key.path[-1], Counter())[outcome] += 1
    return results


@dg.asset(
    key=["published", "marts"],
    group_name="publish",
    deps=[dg.AssetKey([m.schema, m.name]) for m in marts_from_manifest(dbt_manifest())],
    kinds={"duckdb"},
    description=(
        "The published layer BI reads: <home>/published/bi.duckdb (schema marts, every "
        "unrestricted mart), restricted.duckdb and publication.json, swapped in atomically."
    ),
)
def published_marts(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
    checks = _check_results(context)
    as_of = warehouse.as_of_date()
    with warehouse.connect(read_only=True) as con:
        sources = {
            source: {
                "latest_landing_day": str(day) if day else None,
                "rows_loaded": loaded,
                "rows_rejected": rejected,
                "freshness": source_freshness(source, day, as_of),
            }
            for source, day, loaded, rejected in con.execute(
                "select d.source, max(d.batch_date) filter (where d.batch_date <= ?), "
                "(select coalesce(sum(rows_loaded), 0) from raw._load_ledger l where l.source = d.source), "
                "(select coalesce(sum(rows_rejected), 0) from raw._load_ledger l where l.source = d.source) "
                "from raw._loaded_days d group by d.source order by d.source",
                [as_of],
            ).fetchall()
        }
        skipped = [
            {"source": source, "path": path, "reason": reason}
            for source, path, reason in con.execute(
                "select source, path, reason from raw._skipped order by source, path"
            ).fetchall()
        ]
    marts = marts_from_manifest(dbt_manifest())
    manifest = publish(
        warehouse.database_path,
        Path(warehouse.home),
        context.run.run_id,
        marts,
        {
            "run_id": context.run.run_id,
            "published_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "as_of": str(as_of),
            "sources": sources,
            # What the landing folder held and this build did not load (each was a warning).
            "skipped": skipped,
            "marts": {m.name: {"checks": dict(checks.get(m.name, Counter()))} for m in marts},
        },
    )
    for name, info in manifest["marts"].items():
        context.log.info(f"published {info['file']}: {name} ({info['rows']} rows)")
    return dg.MaterializeResult(
        metadata={name: info["rows"] for name, info in manifest["marts"].items()}
        | {"as_of": manifest["as_of"]}
    )


class StatementsConfig(dg.Config):
    period: str = ""  # YYYY-MM; empty: the month of the publication's as-of day
    # The daily build writes CSV and HTML; PDFs (about 0.15 s a rep with WeasyPrint) are
    # written by `salesops statements` or a run of this asset with pdf: true.
    pdf: bool = False


@dg.asset(
    key=["published", "statements"],
    group_name="publish",
    deps=[dg.AssetKey(["published", "marts"])],
    kinds={"csv", "html", "pdf"},
    description=(
        "Per-rep commission statements for a month (default: the month of the as-of day), read "
        "from <home>/published/restricted.duckdb and written to <home>/statements/<YYYY-MM>/ "
        "as CSV and HTML (and PDF with config pdf: true; `salesops statements` writes it) with "
        "an index (orchestration/publish/statements/). A default month "
        "with no commission data writes nothing and is logged as a warning."
    ),
)
def commission_statements(
    context: dg.AssetExecutionContext, config: StatementsConfig, warehouse: Warehouse
) -> dg.MaterializeResult:
    home = Path(warehouse.home)
    period = config.period
    if not period:
        as_of = (current_publication(home) or {}).get("as_of")
        if not as_of:
            raise StatementError(f"no publication in {home}: nothing to write statements from")
        period = as_of[:7]
    try:
        folder, count = write_statements(home, period, pdf=config.pdf)
    except NoCommissionData as error:
        if config.period:  # asked for explicitly: fail, as `salesops statements` does
            raise
        # the build's own month: a company without commissions yet must still build
        context.log.warning(str(error))
        return dg.MaterializeResult(metadata={"period": period, "statements": 0, "note": str(error)})
    context.log.info(f"wrote {count} commission statement(s) for {period} to {folder}")
    return dg.MaterializeResult(
        metadata={"period": period, "statements": count, "folder": dg.MetadataValue.path(str(folder))}
    )
