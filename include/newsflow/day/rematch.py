"""The watchlist's mentions in every stored day, kept in step with the watchlist: after the user
edits it, the next warehouse build matches again the days whose mentions were matched against
another version, from the texts in the lake: no re-ingest, no re-fetch.

Each day's mentions partition carries the fingerprint of the watchlist it was matched with (in its
Parquet schema's metadata, under WATCHLIST_KEY); a day whose fingerprint differs, or that has none,
is matched again and its mentions partition replaced like any other write of the lake. A day whose
lock another run holds is left for later: that run publishes it matched with the watchlist then.
"""

from __future__ import annotations

import dataclasses
import logging
import multiprocessing
import os
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from itertools import repeat

import pyarrow as pa
import pyarrow.parquet as pq

from newsflow.entities.watchlist import Gazetteer, find_mentions, load_gazetteer
from newsflow.schema import MENTION_SCHEMA, Article
from newsflow.settings import Settings
from newsflow.store import lake, locks
from newsflow.store.storage import arrow_filesystem

LOGGER = logging.getLogger(__name__)

# The schema metadata key of a mentions partition: the watchlist's fingerprint it was matched with.
WATCHLIST_KEY = b"newsflow.watchlist"
# Stored articles read at a time: a day's texts never sit in memory whole.
REMATCH_BATCH_ROWS = 1_000


def mentions_schema(gazetteer: Gazetteer) -> pa.Schema:
    """MENTION_SCHEMA stamped with the watchlist the mentions were matched with."""
    return MENTION_SCHEMA.with_metadata({WATCHLIST_KEY: gazetteer.fingerprint.encode()})


def rematch_history(settings: Settings) -> list[date]:
    """Match every stored day whose mentions were matched against another watchlist again, with
    the current one, the days spread over `settings.workers` processes (0: one per core); the days
    whose mentions partition was replaced."""
    fingerprint = load_gazetteer(settings.entities_path).fingerprint.encode()
    current = lake.current_files(settings.lake_uri, ["articles", "mentions"])
    stamps = {
        lake.day_of(file): lake.schema_metadata(file).get(WATCHLIST_KEY) for file in current["mentions"]
    }
    stale = [
        lake.day_of(file) for file in current["articles"] if stamps.get(lake.day_of(file)) != fingerprint
    ]
    workers = min(settings.workers or os.cpu_count() or 1, len(stale))
    if workers <= 1:
        done = [_rematch_day(settings, day) for day in stale]
    else:
        context = multiprocessing.get_context("forkserver")
        with ProcessPoolExecutor(workers, mp_context=context) as pool:
            done = list(pool.map(_rematch_day, repeat(settings), stale))
    rematched = [day for day, replaced in zip(stale, done, strict=True) if replaced]
    if rematched:
        LOGGER.info("watchlist changed: matched %d stored days again", len(rematched))
    return rematched


def _rematch_day(settings: Settings, day: date) -> bool:
    """Replace the day's mentions with those of the current watchlist; False when another run holds
    the day, or when its stored articles cannot be read (that day keeps its mentions and is tried
    again at the next build; the other days and the build go on)."""
    gazetteer = load_gazetteer(settings.entities_path)
    articles = lake.partition_file(settings.lake_uri, "articles", day)
    assert articles is not None  # the day was listed from the articles' manifests
    try:
        with locks.day_lock(settings.locks_dir, day):
            batches = list(_mention_batches(articles, gazetteer))
            table = pa.Table.from_batches(batches, MENTION_SCHEMA).replace_schema_metadata(
                mentions_schema(gazetteer).metadata
            )
            lake.replace_partitions([("mentions", table)], settings.lake_uri, day)
    except locks.DayLockedError as exc:
        LOGGER.warning("%s: not matched again now, its run holds it (%s)", day, exc)
        return False
    except (OSError, pa.ArrowException) as exc:  # a damaged or vanished file costs its day only
        LOGGER.error("%s: not matched again, %s is unreadable: %s", day, articles, exc)
        return False
    return True


def _mention_batches(articles: lake.Location, gazetteer: Gazetteer) -> Iterator[pa.RecordBatch]:
    """The mentions of a stored articles partition's originals (a duplicate's would count twice),
    in the day's order, as publish writes them."""
    source, filesystem = arrow_filesystem(articles)
    columns = ["article_id", "ingest_date", "title", "text", "duplicate_of"]
    for batch in pq.ParquetFile(source, filesystem=filesystem).iter_batches(
        REMATCH_BATCH_ROWS, columns=columns
    ):
        rows = [
            dataclasses.asdict(mention)
            for row in batch.to_pylist()
            if row["duplicate_of"] is None
            for mention in find_mentions(
                Article(
                    row["article_id"],
                    "",
                    None,
                    None,
                    row["ingest_date"],
                    title=row["title"],
                    text=row["text"],
                ),
                gazetteer,
            )
        ]
        yield pa.RecordBatch.from_pylist(rows, schema=MENTION_SCHEMA)
