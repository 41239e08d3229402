"""Counts per day on a true calendar, for every chart (the page's SVG and the report's PNG).

One rule: a day with data is a day on which some article is dated (on the chart's clock). On such
a day an entity without a mention counts 0; a day without any article is not a zero but a gap
(no run, or nothing published), so a line never joins two days across one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta


def segments(
    values: Mapping[date, int], data_days: Iterable[date], step_days: int = 1
) -> list[list[tuple[date, int]]]:
    """The runs of consecutive days (or weeks: `step_days` 7) with data, each with its value (0
    where `values` has none): one line piece per run. A day of `values` not in `data_days` counts."""
    runs: list[list[tuple[date, int]]] = []
    previous: date | None = None
    for day in sorted(set(data_days) | set(values)):
        if previous is None or day - previous > timedelta(days=step_days):
            runs.append([])
        runs[-1].append((day, values.get(day, 0)))
        previous = day
    return runs


def gaps(data_days: Iterable[date], step_days: int = 1) -> list[tuple[date, date]]:
    """The spans (first, last day, inclusive) between days (or weeks) with data that hold none."""
    days = sorted(set(data_days))
    return [
        (before + timedelta(days=step_days), after - timedelta(days=1))
        for before, after in zip(days, days[1:], strict=False)
        if after - before > timedelta(days=step_days)
    ]
