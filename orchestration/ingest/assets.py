"""One Dagster asset per source (crm, hr, comp): landing files -> raw.<source>__<table>."""


from datetime import datetime, timezone
from pathlib import Path

import dagster as dg

from orchestration.ingest.contracts import freshness, load_contracts
from orchestration.ingest.loader import ingest_source, ledger_problems
from orchestration.ingest.checks import contract_result, freshness_result, skipped_result
from orchestration.resources import Warehouse


def _ingest_asset(source: str) -> dg.AssetsDefinition:
    tables = ", ".join(load_contracts()[source])

    @dg.asset(
        key=["raw", source],
        group_name="ingest",
        kinds={"duckdb", "python"},
        check_specs=[
            dg.AssetCheckSpec(
                "freshness",
                asset=dg.AssetKey(["raw", source]),
                blocking=True,
                description=f"The latest {source} landing day is at most "
                f"{freshness(source).days} day(s) older than the as-of day "
                f"(a stale source: {freshness(source).severity}).",
            ),
            dg.AssetCheckSpec(
                "files_within_contract",
                asset=dg.AssetKey(["raw", source]),
                blocking=True,
                description=f"No {source} landing file is broken (more than its table's "
                "reject_threshold of rows rejected), failed (unreadable, or a required "
                "column missing) or shrunk (a re-delivered day with more than its table's "
                "redelivery_drop_threshold fewer rows or keys).",
            ),
            dg.AssetCheckSpec(
                "nothing_skipped",
                asset=dg.AssetKey(["raw", source]),
                description=f"Everything in the {source} landing folder was loaded: a file or "
                "folder the build cannot load, and a loaded day whose folder is gone (its rows "
                "are kept), is a warning with its path.",
            ),
        ],
        description=(
            f"Landing files of the {source} source checked against its contract and appended to "
            f"raw.{source}__<table> (tables: {tables}). Rows that break the contract go to "
            "raw._rejects; every file is counted in raw._load_ledger."
        ),
    )
    def ingest(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
        landing = Path(warehouse.landing)
        if not landing.is_dir():
            raise dg.Failure(f"landing folder {landing} does not exist")
        loaded_at = datetime.now(timezone.utc).replace(tzinfo=None)
        as_of = warehouse.as_of_date()
        with warehouse.connect() as con:
            report = ingest_source(con, landing, source, loaded_at)
            problems = ledger_problems(con, source, as_of)
            rejects = con.execute(
                "select source_file, line, reason from raw._rejects where source = ? "
                "order by batch_date, source_file, line limit 20",
                [source],
            ).fetchall()
            # The latest day loaded on or before the as-of day (a kept day whose folder was
            # cleaned up counts: its rows are still the warehouse's).
            latest = con.execute(
                "select max(batch_date) from raw._loaded_days where source = ? "
                "and (? is null or batch_date <= ?)",
                [source, as_of, as_of],
            ).fetchall()[0][0]
            totals = con.execute(
                "select coalesce(sum(rows_in), 0), coalesce(sum(rows_loaded), 0), "
                "coalesce(sum(rows_rejected), 0) from raw._load_ledger where source = ?",
                [source],
            ).fetchall()[0]
        for warning in report.warnings:
            context.log.warning(warning)
        for file, line, reason in rejects:
            context.log.warning(f"rejected {landing / file}:{line}: {reason}")
        for _, _, message in problems:
            context.log.error(message)
        context.log.info(
            f"{source}: {len(report.days_loaded)} day(s) loaded, "
            f"{len(report.days_unchanged)} unchanged, {len(report.days_missing)} missing (kept); "
            f"{report.rows_loaded} rows loaded, {report.rows_rejected} rejected"
        )
        fresh = freshness_result(source, latest, as_of)
        if not fresh.passed:
            context.log.warning(fresh.description)
        return dg.MaterializeResult(
            check_results=[fresh, contract_result(source, problems), skipped_result(report.skipped)],
            metadata={
                "days_loaded": len(report.days_loaded),
                "days_unchanged": len(report.days_unchanged),
                "days_missing": len(report.days_missing),
                "rows_in": int(totals[0]),
                "rows_loaded": int(totals[1]),
                "rows_rejected": int(totals[2]),
                "warnings": len(report.warnings),
                "problem_files": len(problems),
            }
        )

    return ingest


ingest_assets = [_ingest_asset(source) for source in load_contracts()]
