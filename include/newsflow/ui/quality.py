"""A day's validation page, ours: rendered from the Great Expectations result and the quarantine
partition the lake keeps per day, so later runs never replace it and it needs no network."""

from __future__ import annotations

import html
import json
import re
from datetime import UTC, date, datetime
from typing import Any

from newsflow.settings import Settings
from newsflow.store import lake, storage
from newsflow.ui import tables

# The file publish keeps beside the day's partitions (newsflow.day.staging.GX_RESULT_FILE).
GX_RESULT_FILE = "gx_validation.json"
QUARANTINE_COLUMNS = [
    "article_id",
    "url",
    "source_path",
    "stage",
    "failed_expectations",
    "text_chars",
    "language",
    "title",
]
# A failed expectation as the quarantine names it: "expect_…(column)".
EXPECTATION = re.compile(r"^(?P<type>\w+)\((?P<column>\w+)\)$")


def result_location(settings: Settings, day: date) -> lake.Location:
    return lake.partition_dir(settings.lake_uri, lake.QUALITY, day) / GX_RESULT_FILE


def has_result(settings: Settings, day: date) -> bool:
    """Whether the lake keeps a validation of `day` (a day validated and published)."""
    return bool(result_location(settings, day).exists())


def read_result(settings: Settings, day: date) -> dict[str, Any] | None:
    """GX's result of the day, as publish kept it; None for a day never published."""
    try:
        result: dict[str, Any] = json.loads(storage.read_bytes(result_location(settings, day)))
    except FileNotFoundError:
        return None
    return result


def expectations_table(result: dict[str, Any]) -> tables.Table:
    """One row per expectation of the suite: what it asks, whether the day passed it, how many rows failed."""
    rows: list[tuple[object, ...]] = []
    for outcome in result.get("results", []):
        config = outcome.get("expectation_config", {})
        kwargs = {k: v for k, v in config.get("kwargs", {}).items() if k not in ("batch_id", "column")}
        counts = outcome.get("result", {})
        rows.append(
            (
                config.get("type", "?"),
                config.get("kwargs", {}).get("column"),
                ", ".join(f"{k}={v}" for k, v in kwargs.items()),
                "passed" if outcome.get("success") else "FAILED",
                counts.get("element_count"),
                counts.get("unexpected_count"),
            )
        )
    rows.sort(key=lambda row: (row[3] == "passed", str(row[0]), str(row[1])))
    columns = ["expectation", "column", "arguments", "outcome", "rows_checked", "rows_failing"]
    return tables.Table("quality_expectations", columns, rows)


def failing_rows(settings: Settings, day: date) -> tables.Table:
    """The day's articles that failed validation, by id and URL (or source file), one row per
    failed expectation with the value that failed it."""
    try:
        quarantined = lake.read_partition(
            settings.lake_uri, "quarantine", day, QUARANTINE_COLUMNS
        ).to_pylist()
    except FileNotFoundError:
        quarantined = []
    rows: list[tuple[object, ...]] = []
    for article in quarantined:
        if article["stage"] != "validate":
            continue
        for failed in article["failed_expectations"] or []:
            match = EXPECTATION.match(failed)
            column = match["column"] if match else None
            value = article.get(column) if column else None
            rows.append(
                (article["article_id"], article["url"] or article["source_path"], failed, _shown(value))
            )
    columns = ["article_id", "url_or_source", "failed_expectation", "failing_value"]
    return tables.Table("quality_failing_rows", columns, rows)


def _minute(timestamp: object) -> str:
    """GX's validation time ("2026-12-07T13:39:25.572609+00:00") to the minute, in UTC; as it is
    when it is not an ISO time."""
    try:
        return datetime.fromisoformat(str(timestamp)).astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    except ValueError:
        return str(timestamp)


def _shown(value: object) -> str:
    """A failing value as the page shows it: `null` for a missing one, long text cut."""
    if value is None:
        return "null"
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 120 else text[:119] + "…"


def quality_body(settings: Settings, day: date) -> str | None:
    """The page's HTML body for `day`; None when the lake keeps no validation of it."""
    result = read_result(settings, day)
    if result is None:
        return None
    stats = result.get("statistics", {})
    when = _minute(result.get("meta", {}).get("validation_time", "?"))
    verdict = "passed" if result.get("success") else "failed"
    failing = failing_rows(settings, day)
    summary = (
        f"<p>Ingest date <b>{day}</b>: the suite <b>{verdict}</b>, "
        f"{stats.get('successful_expectations', 0)} of {stats.get('evaluated_expectations', 0)} expectations "
        f"met (validated {html.escape(str(when))}). Failing articles are quarantined, not published.</p>"
    )
    return "\n".join(
        [
            summary,
            "<h2>Expectations</h2>",
            tables.render(
                expectations_table(result), "No expectation was checked (no article).", exported=False
            ),
            "<h2>Articles that failed, with the failing value</h2>",
            tables.render(failing, f"No article of {day} failed validation.", exported=False),
        ]
    )
