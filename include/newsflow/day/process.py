"""The per-document pass over one shard: extract, clean, language, hashes, watchlist mentions.

NER is not here: it reads the published day afterwards (`newsflow.day.enrich`), so ingest never waits for it.

Everything that looks at one document alone happens here, once, so the whole-day steps after it
(dedup, validation, publishing) only move columns. A shard's result is one Parquet file written
atomically: a worker that dies mid-shard leaves nothing, and the retry writes it whole.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from newsflow.day import templates
from newsflow.document import signatures
from newsflow.document.clean import clean_text
from newsflow.document.extract import TooLargeError, extract_html, extract_plain_text
from newsflow.document.language import detect_language
from newsflow.document.page import publisher_of
from newsflow.document.page_type import ARTICLE
from newsflow.entities import watchlist
from newsflow.schema import PROCESSED_EXTRAS, PROCESSED_SCHEMA, Article, RawDocument, stable_id
from newsflow.settings import Settings
from newsflow.store import lake
from newsflow.store.storage import arrow_filesystem

LOGGER = logging.getLogger(__name__)

# How often a shard reports its progress in the (task) log.
PROGRESS_SECONDS = 5.0
# Raw rows decoded from Parquet at a time: a shard's pages never sit in memory as Python objects at once.
READ_BATCH_ROWS = 32
# A page may carry the next day's date (time zones, a run just after midnight); a later date is an
# error of the page, not a publication date: it would date the article in the future of its ingest.
FUTURE_DATE_TOLERANCE = timedelta(days=1)
# The quarantine stage of a page that is not an article (`reject_reason` says its kind and why).
NOT_AN_ARTICLE_STAGE = "page_type"


def build_article(raw: RawDocument, known_templates: templates.Templates | None = None) -> Article:
    """Extract, clean and measure one decoded document; `known_templates` are the publishers'
    template lines learned before its day."""
    if raw.content_type == "text/html":
        fetched_on = raw.fetched_at.date() if raw.fetched_at else None
        extracted = extract_html(raw.raw_text, raw.url, max_date=fetched_on)
    else:
        extracted = extract_plain_text(raw.raw_text)
    canonical_url = extracted.url or raw.url
    url = raw.url or canonical_url
    publisher = publisher_of(canonical_url, extracted.sitename, raw.source)
    template_lines = (known_templates or {}).get(publisher, frozenset()) if url else frozenset()
    cleaned = clean_text(extracted.text, extracted.title, template_lines=template_lines)
    published_date, date_source = checked_published_date(
        extracted.published_date, extracted.published_date_source, raw.ingest_date
    )
    return Article(
        article_id=article_id_of(raw),
        source=raw.source,
        url=url,
        source_path=raw.source_path,
        ingest_date=raw.ingest_date,
        title=extracted.title,
        author=extracted.author,
        sitename=extracted.sitename,
        description=extracted.description,
        publisher=publisher,
        published_date=published_date,
        published_date_source=date_source,
        fetched_at=raw.fetched_at,
        html_language=extracted.html_language or raw.language_hint,
        text=cleaned.text,
        raw_chars=len(raw.raw_text),
        text_chars=len(cleaned.text),
        removed=extracted.removed + cleaned.removed,
        extraction_method=extracted.method,
        canonical_url=canonical_url,
        page_type=extracted.page_type,
        page_type_evidence=extracted.page_type_evidence,
    )


def checked_published_date(found: date | None, source: str, ingest_date: date) -> tuple[date | None, str]:
    """(published date, its source), with a date after the ingest date (beyond FUTURE_DATE_TOLERANCE)
    rejected as (None, "rejected_future"): the ingest date is the run's clock, not the wall clock, so a
    backfill of an old day judges its pages as that day would have."""
    if found is not None and found > ingest_date + FUTURE_DATE_TOLERANCE:
        return None, "rejected_future"
    return found, source


def article_id_of(raw: RawDocument) -> str:
    return stable_id(raw.url) if raw.url else stable_id(raw.source, raw.source_path or "")


def with_language(article: Article) -> Article:
    language, probability = detect_language(article.text)
    return dataclasses.replace(article, language=language, language_prob=probability)


def process_shard(
    raw_shard: lake.Location,
    out: lake.Location,
    settings: Settings,
    on_document: Callable[[], object] | None = None,
) -> lake.Location:
    """Every document of `raw_shard` through the per-document stages, into one Parquet file at `out`.

    A document that could not be read becomes a row with `reject_stage = 'read'` and its reason,
    one that broke a stage a row with `reject_stage = 'process'` and the error (logged with its
    traceback): the shard, and the day, go on. The day steps decide duplicates and validity.
    `on_document` is called after each document (the CLI's progress bar); the log gets
    documents/s and an ETA every PROGRESS_SECONDS.
    """
    gazetteer = watchlist.load_gazetteer(settings.entities_path)
    known_templates: dict[date, templates.Templates] = {}  # by ingest day: a shard holds one
    total = lake.count_rows(raw_shard)
    started = time.monotonic()
    log_progress = _progress_log(raw_shard.name, total)
    rows = []
    for done, raw in enumerate(_iter_raw(raw_shard), start=1):
        if raw.ingest_date not in known_templates:  # unreadable: the shard fails, no document is blamed
            known_templates[raw.ingest_date] = templates.load(settings.lake_uri, raw.ingest_date)
        try:
            row = _processed(raw, gazetteer, settings, known_templates[raw.ingest_date])
        except TooLargeError as exc:  # past the bounds: the reason says which, no traceback needed
            LOGGER.warning("%s: %s quarantined: %s", raw_shard.name, raw.source_path or raw.url, exc)
            row = _rejected_row(raw, "process", str(exc))
        except Exception as exc:  # one document that breaks a stage must not fail its shard, and the day
            LOGGER.exception("%s: %s failed", raw_shard.name, raw.source_path or raw.url)
            row = _rejected_row(raw, "process", f"processing_error: {type(exc).__name__}: {exc}")
        rows.append(row)
        if on_document is not None:
            on_document()
        log_progress(done)
    lake.write_table_atomic(pa.Table.from_pylist(rows, schema=PROCESSED_SCHEMA), out)
    LOGGER.info("%s: %d documents in %.1f s", raw_shard.name, total, time.monotonic() - started)
    return out


def _progress_log(name: str, total: int) -> Callable[[int], None]:
    """A function of the documents done that logs documents/s and an ETA every PROGRESS_SECONDS."""
    started = reported = time.monotonic()

    def log(done: int) -> None:
        nonlocal reported
        now = time.monotonic()
        if now - reported >= PROGRESS_SECONDS:
            rate = done / (now - started)
            LOGGER.info(
                "%s: %d of %d documents, %.1f docs/s, ETA %.0f s",
                name,
                done,
                total,
                rate,
                (total - done) / rate,
            )
            reported = now

    return log


def _iter_raw(raw_shard: lake.Location) -> Iterator[RawDocument]:
    source, filesystem = arrow_filesystem(raw_shard)
    for batch in pq.ParquetFile(source, filesystem=filesystem).iter_batches(batch_size=READ_BATCH_ROWS):
        for row in batch.to_pylist():
            yield RawDocument(**row)


def _processed(
    raw: RawDocument, gazetteer: watchlist.Gazetteer, settings: Settings, known_templates: templates.Templates
) -> dict[str, object]:
    """The processed row of one document: the article with its hash, signature, mentions and short
    lines; a document that could not be read is a rejected row, and so is a page that is not an
    article (a home, section or video page…) unless its source keeps them: its columns are kept
    for the quarantine, its text never reaches the mentions."""
    if raw.read_error:
        return _rejected_row(raw, "read", raw.read_error)
    article = with_language(build_article(raw, known_templates))
    if article.page_type != ARTICLE and not raw.keep_non_articles:
        reason = f"not_an_article: {article.page_type} ({article.page_type_evidence})"
        return _row(article, raw.position, reject_stage=NOT_AN_ARTICLE_STAGE, reject_reason=reason)
    digest, minhash, shingles = signatures.fingerprint(article.text, settings.story_lsh_bands)
    has_text = bool(article.text.strip())  # an empty text has nothing to compare; validation rejects it
    return _row(
        article,
        raw.position,
        content_hash=digest if has_text else None,
        minhash=minhash,
        shingles=shingles,
        mentions=[dataclasses.asdict(m) for m in watchlist.find_mentions(article, gazetteer)],
        # only publishers known by URL learn templates: a folder of files is not one site
        line_keys=templates.line_keys(article.text, article.removed) if article.url else [],
    )


def killed_document(raw_row: dict[str, Any]) -> pa.Table:
    """The processed row of a document whose worker process died each time it was processed (a
    crash in a native library, the memory killer): rejected at stage 'process', reason 'worker_died'."""
    reason = "worker_died: its worker process died each time this document was processed"
    return pa.Table.from_pylist(
        [_rejected_row(RawDocument(**raw_row), "process", reason)],
        schema=PROCESSED_SCHEMA,
    )


def _rejected_row(raw: RawDocument, stage: str, reason: str) -> dict[str, object]:
    """A stub article for a document that went no further, with the stage and the reason."""
    stub = Article(
        article_id_of(raw),
        raw.source,
        raw.url,
        raw.source_path,
        raw.ingest_date,
        publisher=publisher_of(raw.url, None, raw.source),
        fetched_at=raw.fetched_at,
        raw_chars=raw.raw_bytes,
    )
    return _row(stub, raw.position, reject_stage=stage, reject_reason=reason)


def _row(article: Article, position: int, **extras: object) -> dict[str, object]:
    """A processed row (PROCESSED_SCHEMA): the article's columns, its `position`, then `extras`;
    the other PROCESSED_EXTRAS columns are empty lists or nulls."""
    empty: dict[str, list[object] | None] = {
        field.name: [] if pa.types.is_list(field.type) else None for field in PROCESSED_EXTRAS
    }
    return dataclasses.asdict(article) | empty | {"position": position} | extras
