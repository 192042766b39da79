"""A compact console logger for builds: one line per step, materialization, failed check and
message from the project's own code, instead of Dagster's full debug stream."""

from __future__ import annotations

import logging
import sys

import dagster as dg

from orchestration.summary import innermost

_EVENT_LINES = {
    "STEP_START": "start  {step}",
    "STEP_SUCCESS": "done   {step}",
    "STEP_FAILURE": "FAILED {step}: {error}",
    "STEP_SKIPPED": "skip   {step} (an upstream step failed)",
}


class _ProgressHandler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        meta = getattr(record, "dagster_meta", {}) or {}
        event = meta.get("dagster_event")
        line = None
        if event is None:
            if record.levelno >= logging.INFO and meta.get("step_key"):
                prefix = "" if record.levelno < logging.WARNING else "warning: "
                line = f"       {prefix}{meta.get('orig_message', record.getMessage())}"
        elif event.event_type_value in _EVENT_LINES:
            error = ""
            if event.event_type_value == "STEP_FAILURE" and event.step_failure_data.error:
                cause = innermost(event.step_failure_data.error)
                error = cause.message.strip().splitlines()[0][:300]
            line = _EVENT_LINES[event.event_type_value].format(step=event.step_key, error=error)
        elif event.event_type_value == "ASSET_CHECK_EVALUATION":
            evaluation = event.event_specific_data
            if not evaluation.passed:
                key = evaluation.asset_key.to_user_string()
                line = f"       check {evaluation.severity.value}: {key} {evaluation.check_name}"
        if line:
            print(line, file=sys.stderr, flush=True)


@dg.logger(description="One line per step and failed check.")
def progress_logger(_init_context) -> logging.Logger:
    # Libraries' info lines (dagster-dbt's "Running dbt command ...") go to the run's event log
    # and dbt's own output to HOME/logs; the terminal keeps the project's progress lines.
    logging.getLogger("dagster.builtin").setLevel(logging.WARNING)
    log = logging.Logger("salesops.progress", level=logging.DEBUG)
    log.addHandler(_ProgressHandler())
    return log
