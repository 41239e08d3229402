"""What the `newsflow` command shows: a day's progress bar (documents/s and ETA) and tables."""

from __future__ import annotations

import sys
import time
from datetime import date

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from newsflow.settings import Settings

# Piped output (make, CI logs) gets rich's 80-column default, which wraps every title; allow wider.
console = Console(width=None if sys.stdout.isatty() else 140)


def print_rows(columns: list[str], rows: list[tuple[object, ...]], title: str | None = None) -> None:
    """A table of query results (None printed as an empty cell), each value printed as it is: a
    title holding "[/b]" or "[avant la guerre]" is text, not rich markup."""
    table = Table(*columns, title=title)
    for row in rows:
        table.add_row(*(Text("" if value is None else str(value)) for value in row))
    console.print(table)


def progress_bars() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("docs"),
        TextColumn("{task.fields[rate]}"),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=console,
    )


def ingest_with_progress(
    progress: Progress, settings: Settings, day: date, offline: bool = False
) -> dict[str, int]:
    """One day through every stage, its documents/s and ETA on a progress bar of its own."""
    from newsflow import tasks

    documents = progress.add_task(f"{day}: collect", total=None, rate="")
    started = time.monotonic()

    def on_progress(done: int, total: int) -> None:
        rate = done / max(time.monotonic() - started, 1e-9)
        progress.update(documents, completed=done, total=total, rate=f"{rate:.1f}/s")

    def on_step(name: str) -> None:
        nonlocal started
        if name == "process_shards":
            started = time.monotonic()
        progress.update(documents, description=f"{day}: {name}")

    counts = tasks.ingest_day(day, settings, on_step=on_step, offline=offline, on_progress=on_progress)
    progress.update(documents, description=f"{day}: done")
    return counts
