"""The day a run ingests: one rule for the nightly schedule, the trigger form, the CLI and the run's
note, in a module light enough for the scheduler to import (its run-note listener applies it)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from datetime import date as Date


def partition_date(requested: str | None, interval_start: datetime | None, run_after: datetime) -> str:
    """The day a run ingests, one rule for the trigger form, the nightly schedule and the CLI: the
    date typed in the form (or `--date`), else the last whole UTC day before the run: the day its
    data interval starts (the nightly run: the day that just ended; a manual run: the day before its
    logical date), else, for a run without a logical date (or the CLI), the day before `run_after`."""
    if requested:
        return Date.fromisoformat(str(requested)).isoformat()  # a typo fails here, before anything runs
    if interval_start is not None:
        return interval_start.astimezone(UTC).date().isoformat()
    return (run_after.astimezone(UTC).date() - timedelta(days=1)).isoformat()
