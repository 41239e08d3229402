"""What the `newsflow` command shows: a day's progress bar (documents/s and ETA), tables and lines.

Every value is printed as it is: rich reads "[/b]" in a string as markup (and crashes on it),
drops "[avant la guerre]" as an unknown style and turns ":warning:" into an emoji, so values go
out as `Text`, or with markup and emoji off.
"""

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
    """A table of query results (None printed as an empty cell); column names are values too."""
    table = Table(title=title)  # our own words, styled as a title
    for column in columns:
        table.add_column(Text(column))
    for row in rows:
        table.add_row(*(Text("" if value is None else str(value)) for value in row))
    console.print(table)


def print_line(*values: object) -> None:
    """Values (paths, a user's glob) on one line, as they are: not cut, so they can be copied."""
    console.print(*values, markup=False, emoji=False, soft_wrap=True)


def print_error(message: str) -> None:
    """An error as one line: "error:" in red, then the message as it is."""
    console.print(Text.assemble(("error:", "red"), " ", message), soft_wrap=True)


def progress_bars() -> Progress:
    return Progress(
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("docs"),
        TextColumn("{task.fields[rate]}", markup=False),  # may name an archive file
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
