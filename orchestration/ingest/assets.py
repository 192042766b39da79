"""One Dagster asset per source (crm, hr, comp): landing files -> raw.<source>__<table>."""


from datetime import datetime, timezone
from pathlib import Path

import dagster as dg

from orchestration.ingest.contracts import load_contracts
from orchestration.ingest.loader import ContractError, ingest_source
from orchestration.resources import DUCKDB_POOL, Warehouse


def _ingest_asset(source: str) -> dg.AssetsDefinition:
    tables = ", ".join(load_contracts()[source])

    @dg.asset(
        key=["raw", source],
        group_name="ingest",
        pool=DUCKDB_POOL,
        kinds={"duckdb", "python"},
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
        try:
            with warehouse.connect() as con:
                report = ingest_source(con, landing, source, loaded_at)
                rejects = con.execute(
                    "select source_file, line, reason from raw._rejects where source = ? "
                    "order by batch_date, source_file, line limit 20",
                    [source],
                ).fetchall()
                totals = con.execute(
                    "select coalesce(sum(rows_in), 0), coalesce(sum(rows_loaded), 0), "
                    "coalesce(sum(rows_rejected), 0) from raw._load_ledger where source = ?",
                    [source],
                ).fetchall()[0]
        except ContractError as exc:
            raise dg.Failure(description=str(exc)) from exc
        for warning in report.warnings:
            context.log.warning(warning)
        for file, line, reason in rejects:
            context.log.warning(f"rejected {landing / file}:{line}: {reason}")
        context.log.info(
            f"{source}: {len(report.days_loaded)} day(s) loaded, "
            f"{len(report.days_unchanged)} unchanged, {len(report.days_removed)} removed; "
            f"{report.rows_loaded} rows loaded, {report.rows_rejected} rejected"
        )
        return dg.MaterializeResult(
            metadata={
                "days_loaded": len(report.days_loaded),
                "days_unchanged": len(report.days_unchanged),
                "days_removed": len(report.days_removed),
                "rows_in": int(totals[0]),
                "rows_loaded": int(totals[1]),
                "rows_rejected": int(totals[2]),
                "warnings": len(report.warnings),
            }
        )

    return ingest


ingest_assets = [_ingest_asset(source) for source in load_contracts()]
