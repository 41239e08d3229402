"""Open-world entities of a published day: the people, organisations and places NER finds in its
French and English articles, canonicalised per article (`entities.discover`), as the lake dataset
`discovered`.

It runs after publishing, off the ingest path: `newsflow enrich --date D` (which `newsflow ingest`
runs unless `--no-enrich`) and the `news_entities` DAG, scheduled on the `newsflow_articles`
Asset. The day's stored articles are cut into parts of ENRICH_PART_ROWS rows (`plan_parts`);
each part is one task (a mapped Airflow task, or one job of the CLI's process pool) writing its
rows to staging; `publish_parts` then replaces the day's `discovered` partition, all or none, and
refuses when the day was published again meanwhile. Re-running a day gives the same rows.
Duplicates are left out (a copy's names would count twice); articles in other languages get none:
watchlist matching covers every language.
"""

from __future__ import annotations

import bisect
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from newsflow.entities.discover import NER_MODELS, discover
from newsflow.entities.watchlist import Gazetteer, load_gazetteer, sentence_breaks
from newsflow.schema import DISCOVERED, DISCOVERED_SCHEMA
from newsflow.settings import Settings
from newsflow.store import lake, locks, storage
from newsflow.store.lake import Location
from newsflow.store.storage import arrow_filesystem, location

LOGGER = logging.getLogger(__name__)

# Articles per part: a part is one task, and each task loads the spaCy model (~1-4 s) once, which
# NER pays back after a few hundred articles (fr_core_news_md: ~30 articles/s per core).
ENRICH_PART_ROWS = 1000
# Stored articles read at a time: a part's texts never sit in memory whole.
ENRICH_BATCH_ROWS = 256
# How long publishing waits for the day's lock (an ingest of the day still running) before failing.
LOCK_WAIT_S = 600.0
LOCK_POLL_S = 5.0
COLUMNS = ["article_id", "ingest_date", "text", "language", "duplicate_of"]


@dataclass(frozen=True, slots=True)
class Part:
    """Rows [start, stop) of one version of a day's articles file."""

    day: str
    articles: str  # the articles file the part was planned on
    start: int
    stop: int

    @classmethod
    def of(cls, fields: dict[str, object]) -> Part:
        """The part `plan_parts` gave as a dict (through XCom)."""
        return cls(
            str(fields["day"]), str(fields["articles"]), int(str(fields["start"])), int(str(fields["stop"]))
        )


def plan_parts(day: date, settings: Settings) -> list[dict[str, object]]:
    """The day's parts (as `Part` fields, for XCom), ENRICH_PART_ROWS articles each; raises
    FileNotFoundError when the day is not published."""
    articles = lake.partition_file(settings.lake_uri, "articles", day)
    if articles is None:
        raise FileNotFoundError(f"{day} is not published in {settings.lake_uri}: nothing to enrich")
    rows = lake.count_rows(articles)
    return [
        asdict(Part(day.isoformat(), str(articles), start, min(start + ENRICH_PART_ROWS, rows)))
        for start in range(0, max(rows, 1), ENRICH_PART_ROWS)
    ]


def part_path(part: Part, settings: Settings) -> Location:
    return settings.staging_dir / "enrich" / f"ingest_date={part.day}" / f"part-{part.start:09d}.parquet"


def enrich_part(
    fields: dict[str, object], settings: Settings, on_article: Callable[[], object] | None = None
) -> str:
    """Write one part's discovered mentions to staging (atomically); the file's path."""
    part = Part.of(fields)
    gazetteer = load_gazetteer(settings.entities_path)
    table = pa.Table.from_batches(list(_discovered_batches(part, gazetteer, on_article)), DISCOVERED_SCHEMA)
    return str(lake.write_table_atomic(table, part_path(part, settings)))


def publish_parts(parts: list[dict[str, object]], settings: Settings) -> Location:
    """Replace the day's `discovered` partition with its parts, under the day's lock (waiting up to
    LOCK_WAIT_S for an ingest of the day to finish), and clear them.

    Raises RuntimeError when the day's articles were published again since the parts were planned
    (their mentions would point at another version), FileNotFoundError naming a missing part."""
    planned = [Part.of(fields) for fields in parts]
    day = date.fromisoformat(planned[0].day)
    with _waiting_lock(settings, day):
        current = lake.partition_file(settings.lake_uri, "articles", day)
        if str(current) != planned[0].articles:
            raise RuntimeError(f"{day} was published again while it was enriched: enrich it again")
        files = [part_path(part, settings) for part in planned]
        for file in files:
            if not file.exists():
                raise FileNotFoundError(f"enrich part {file} is missing: enrich {day} again")
        table = lake.read_files(files) if files else DISCOVERED_SCHEMA.empty_table()
        (path,) = lake.replace_partitions(
            [(DISCOVERED, table.cast(DISCOVERED_SCHEMA))], settings.lake_uri, day
        )
    storage.remove(files[0].parent)
    LOGGER.info("%s: %d discovered mentions", day, table.num_rows)
    return path


def enrich_day(
    day: date, settings: Settings, run_parts: Callable[[list[dict[str, object]]], None]
) -> Location:
    """Plan the day's parts, run them with `run_parts` (the caller's pool), publish them; the partition."""
    started = time.monotonic()
    parts = plan_parts(day, settings)
    run_parts(parts)
    path = publish_parts(parts, settings)
    LOGGER.info("%s enriched in %.1f s (%d parts)", day, time.monotonic() - started, len(parts))
    return path


@contextmanager
def _waiting_lock(settings: Settings, day: date) -> Iterator[None]:
    waited = 0.0
    while True:
        try:
            locks.acquire(settings.locks_dir, day)
            break
        except locks.DayLockedError as exc:
            if waited >= LOCK_WAIT_S:
                raise
            LOGGER.info("%s; waiting", exc)
            time.sleep(LOCK_POLL_S)
            waited += LOCK_POLL_S
    try:
        yield
    finally:
        locks.release(settings.locks_dir, day)


def _discovered_batches(
    part: Part, gazetteer: Gazetteer, on_article: Callable[[], object] | None
) -> Iterator[pa.RecordBatch]:
    for rows in _part_rows(part):
        found: dict[int, list[dict[str, object]]] = {}
        for language in sorted({row["language"] for row in rows if row["language"] in NER_MODELS}):
            chosen = [
                i for i, row in enumerate(rows) if row["language"] == language and row["duplicate_of"] is None
            ]
            texts = [rows[i]["text"] for i in chosen]
            for i, mentions in zip(chosen, discover(texts, language, gazetteer), strict=True):
                breaks = sentence_breaks(rows[i]["text"])
                found[i] = [
                    {
                        "article_id": rows[i]["article_id"],
                        "entity_key": mention.entity_key,
                        "name": mention.name,
                        "kind": mention.kind,
                        "entity_id": mention.entity_id,
                        "matched_text": mention.matched_text,
                        "sentence_index": bisect.bisect_right(breaks, mention.char_offset),
                        "char_offset": mention.char_offset,
                        "ingest_date": rows[i]["ingest_date"],
                    }
                    for mention in mentions
                ]
        if on_article is not None:
            for _ in rows:
                on_article()
        yield pa.RecordBatch.from_pylist(
            [mention for i in sorted(found) for mention in found[i]], schema=DISCOVERED_SCHEMA
        )


def _part_rows(part: Part) -> Iterator[list[dict[str, Any]]]:
    """The part's rows of the articles file, a batch at a time (the rows before it are skipped)."""
    source, filesystem = arrow_filesystem(location(part.articles))
    seen = 0
    for batch in pq.ParquetFile(source, filesystem=filesystem).iter_batches(
        ENRICH_BATCH_ROWS, columns=COLUMNS
    ):
        start, stop = max(part.start - seen, 0), min(part.stop - seen, batch.num_rows)
        seen += batch.num_rows
        if start < stop:
            yield batch.slice(start, stop - start).to_pylist()
        if seen >= part.stop:
            return
