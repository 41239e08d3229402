"""Backfill: past days from web archives (WARC files, e.g. Common Crawl CC-NEWS), each day through
the nightly stages, partitioned by the day its pages were archived (WARC-Date).

A backfill first indexes which days each file holds (one read per new or changed file, kept in
`data/state/warc_days.json`), then ingests every day the given files touch from *all* the known
files that hold that day: re-running one file re-derives its days whole, so the rows other files
gave those days come back identical, and days the file does not touch are not opened. A damaged
index (not JSON, a torn entry) is rebuilt from the files, with a warning: it is only a cache.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import shutil
import time
from collections import Counter
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from newsflow.ingest.warc import iter_responses, warc_files
from newsflow.settings import Settings
from newsflow.store.storage import atomic_path

LOGGER = logging.getLogger(__name__)

SOURCE_NAME = "archive"  # the `source` of backfilled articles
INDEX_FILE = "warc_days.json"


def plan(
    location: str,
    start: date,
    end: date,
    settings: Settings,
    on_file: Callable[[Path, int, float], object] | None = None,
) -> dict[date, list[Path]]:
    """The days from `start` to `end` that the WARC files at `location` hold, each with every known
    file holding it, in day order. `on_file(path, pages, seconds)` follows the indexing."""
    files = [path.resolve() for path in warc_files(location)]
    missing = [str(path) for path in files if not path.is_file()]
    if not files or missing:
        raise FileNotFoundError(f"no WARC file at {', '.join(missing) or location}")
    index = _indexed(files, settings, on_file)
    touched = sorted({day for path in files for day in index[str(path)] if start <= day <= end})
    holding = {day: sorted(Path(p) for p, days in index.items() if day in days) for day in touched}
    return {day: [path for path in paths if path.is_file()] for day, paths in holding.items()}


def prepare_day(day: date, files: list[Path], settings: Settings) -> Settings:
    """Settings under which `day` is ingested from `files`: one warc source over exactly those files."""
    folder = _day_folder(settings, day)
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "archives").mkdir(parents=True)
    for number, path in enumerate(files):  # numbered: the files' order is the documents' order
        (folder / "archives" / f"{number:05d}-{path.name}").symlink_to(path)
    spec = {"sources": [{"name": SOURCE_NAME, "kind": "warc", "location": "archives"}]}
    (folder / "sources.yaml").write_text(yaml.safe_dump(spec), encoding="utf-8")
    return day_settings(settings, day)


def day_settings(settings: Settings, day: date) -> Settings:
    """The settings `prepare_day` made for `day` (every stage of the day reads its sources from them)."""
    return dataclasses.replace(settings, sources_path=_day_folder(settings, day) / "sources.yaml")


def _day_folder(settings: Settings, day: date) -> Path:
    return settings.data_dir / "backfill" / f"ingest_date={day.isoformat()}"


def _indexed(
    files: list[Path], settings: Settings, on_file: Callable[[Path, int, float], object] | None
) -> dict[str, set[date]]:
    """path -> days it holds pages of, for every file indexed so far; new or changed files are read."""
    index_path = settings.data_dir / "state" / INDEX_FILE
    stored = _stored_index(index_path)
    for path in files:
        stat = path.stat()
        entry = stored.get(str(path))
        if entry and (entry["size"], entry["mtime_ns"]) == (stat.st_size, stat.st_mtime_ns):
            continue
        started, skipped, pages = time.monotonic(), Counter[str](), 0
        days: set[date] = set()
        for response in iter_responses(path, skipped):
            days.add(response.fetched_at.date())
            pages += 1
        stored[str(path)] = {
            "size": stat.st_size,
            "mtime_ns": stat.st_mtime_ns,
            "days": sorted(day.isoformat() for day in days),
        }
        LOGGER.info("indexed %s: %d pages over %d days", path, pages, len(days))
        if on_file is not None:
            on_file(path, pages, time.monotonic() - started)
    with atomic_path(index_path) as tmp:
        tmp.write_text(json.dumps(stored, indent=1), encoding="utf-8")
    return {path: {date.fromisoformat(day) for day in entry["days"]} for path, entry in stored.items()}


def _stored_index(index_path: Path) -> dict[str, Any]:
    """The index as stored, without its damaged entries (each file of those is indexed again)."""
    try:
        stored = json.loads(index_path.read_bytes())
    except FileNotFoundError:
        return {}
    except ValueError as exc:  # not JSON, or not UTF-8
        LOGGER.warning("%s is damaged (%s): every file is indexed again", index_path, exc)
        return {}
    if not isinstance(stored, dict):
        LOGGER.warning("%s is damaged (not a map of file to days): every file is indexed again", index_path)
        return {}
    valid = {path: entry for path, entry in stored.items() if _valid_entry(entry)}
    if len(valid) < len(stored):
        LOGGER.warning(
            "%s is damaged (%d entries unreadable): those files are indexed again",
            index_path,
            len(stored) - len(valid),
        )
    return valid


def _valid_entry(entry: object) -> bool:
    """An entry as `_indexed` writes it: the file's size and mtime, and the ISO days it holds."""
    if not isinstance(entry, dict) or not all(isinstance(entry.get(k), int) for k in ("size", "mtime_ns")):
        return False
    days = entry.get("days")
    try:
        return isinstance(days, list) and all(
            isinstance(d, str) and bool(date.fromisoformat(d)) for d in days
        )
    except ValueError:
        return False
