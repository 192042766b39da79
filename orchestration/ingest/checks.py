"""The ingest step's asset checks, evaluated inside each ingest asset: source freshness,
files within contract, nothing skipped."""

from datetime import date

import dagster as dg

from orchestration.ingest.contracts import source_freshness


def freshness_result(source: str, latest: date | None, as_of: date | None) -> dg.AssetCheckResult:
    """The freshness check of one source, run by its ingest asset (so that a stale source
    configured to block stops the build before dbt). By default a stale source warns."""
    status = source_freshness(source, latest, as_of)
    passed = status["status"] == "fresh"
    return dg.AssetCheckResult(
        check_name="freshness",
        passed=passed,
        severity=dg.AssetCheckSeverity.ERROR
        if status["severity"] == "error"
        else dg.AssetCheckSeverity.WARN,
        description=None
        if passed
        else f"{source} is stale: latest landing day {latest}, as of {as_of}, "
        f"allowed lag {status['freshness_days']} day(s)",
        metadata={k: v for k, v in status.items() if v is not None},
    )


def contract_result(source: str, problems: list[tuple[str, str, str]]) -> dg.AssetCheckResult:
    """The broken-file gate of one source: every broken, failed or shrunk file in the ledger
    (missing required columns, unreadable, a rejected share over the table's threshold, a
    re-delivered day cut by more than its threshold) blocks publishing, and the description
    names each file and its problem."""
    return dg.AssetCheckResult(
        check_name="files_within_contract",
        passed=not problems,
        severity=dg.AssetCheckSeverity.ERROR,
        description="\n".join(message for _, _, message in problems) or None,
        metadata={
            f"{status}_files": sum(s == status for _, s, _ in problems)
            for status in ("broken", "failed", "shrunk")
        },
    )


def skipped_result(skipped: list[tuple[str, str]]) -> dg.AssetCheckResult:
    """A warning listing every path in a source's landing folder the build did not load (a
    file of no known table or format, a folder that is no day, a loaded day whose folder is
    gone), so nothing is passed over in silence."""
    return dg.AssetCheckResult(
        check_name="nothing_skipped",
        passed=not skipped,
        severity=dg.AssetCheckSeverity.WARN,
        description="\n".join(f"{path}: {reason}" for path, reason in skipped) or None,
        metadata={"skipped": len(skipped)},
    )
