"""Open-world entities of a published day: the people, organisations and places NER finds in its
French and English articles, canonicalised per article (`entities.discover`), as the lake dataset
`discovered`.

It runs after publishing, off the ingest path: `newsflow enrich --date D` (which `newsflow ingest`
runs unless `--no-enrich`) and the `news_entities` DAG, scheduled on the `newsflow_articles`
Asset. It reads the day's stored articles (duplicates left out: a copy's names would count twice)
and replaces the day's `discovered` partition, all or none: re-running a day gives the same rows.
Articles in other languages get none; watchlist matching covers every language.
"""

from __future__ import annotations

import bisect
import logging
import time
from collections.abc import Iterator
from datetime import date

import pyarrow as pa
import pyarrow.parquet as pq

from newsflow.entities.discover import NER_MODELS, discover
from newsflow.entities.watchlist import load_gazetteer, sentence_breaks
from newsflow.schema import DISCOVERED, DISCOVERED_SCHEMA
from newsflow.settings import Settings
from newsflow.store import lake
from newsflow.store.lake import Location
from newsflow.store.storage import arrow_filesystem

LOGGER = logging.getLogger(__name__)

# Stored articles read at a time: a day's texts never sit in memory whole.
ENRICH_BATCH_ROWS = 256


def enrich_day(day: date, settings: Settings) -> Location:
    """Write the day's `discovered` partition from its published articles; its path."""
    articles = lake.partition_file(settings.lake_uri, "articles", day)
    if articles is None:
        raise FileNotFoundError(f"{day} is not published in {settings.lake_uri}: nothing to enrich")
    started = time.monotonic()
    table = pa.Table.from_batches(list(_discovered_batches(articles, settings)), DISCOVERED_SCHEMA)
    (path,) = lake.replace_partitions([(DISCOVERED, table)], settings.lake_uri, day)
    LOGGER.info("%s: %d discovered mentions in %.1f s", day, table.num_rows, time.monotonic() - started)
    return path


def _discovered_batches(articles: Location, settings: Settings) -> Iterator[pa.RecordBatch]:
    gazetteer = load_gazetteer(settings.entities_path)
    source, filesystem = arrow_filesystem(articles)
    columns = ["article_id", "ingest_date", "text", "language", "duplicate_of"]
    for batch in pq.ParquetFile(source, filesystem=filesystem).iter_batches(
        ENRICH_BATCH_ROWS, columns=columns
    ):
        rows = [
            row for row in batch.to_pylist() if row["duplicate_of"] is None and row["language"] in NER_MODELS
        ]
        found: dict[int, list[dict[str, object]]] = {}
        for language in sorted({row["language"] for row in rows}):
            chosen = [i for i, row in enumerate(rows) if row["language"] == language]
            for i, mentions in zip(
                chosen, discover([rows[i]["text"] for i in chosen], language, gazetteer), strict=True
            ):
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
        yield pa.RecordBatch.from_pylist(
            [mention for i in sorted(found) for mention in found[i]], schema=DISCOVERED_SCHEMA
        )
