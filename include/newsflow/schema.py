"""The records newsflow moves between stages, each defined once: a dataclass and its Arrow schema."""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar

import pyarrow as pa


@dataclass(frozen=True, slots=True)
class RemovedSpan:
    """A piece of text the cleaner dropped, and the name of the rule that dropped it."""

    rule: str
    text: str


@dataclass(frozen=True, slots=True)
class RawDocument:
    """One input file or fetched page, decoded to text but otherwise untouched."""

    source: str
    source_path: str | None
    url: str | None
    content_type: str  # "text/plain" or "text/html"
    raw_text: str
    encoding: str | None
    raw_bytes: int
    ingest_date: date
    fetched_at: datetime | None = None  # when the bytes were read or downloaded (UTC)
    read_error: str | None = None  # set when the bytes are not text at all (binary, undecodable)
    language_hint: str | None = None  # the source's configured language, if any
    position: int = 0  # order within its source's collection that day: decides every "first copy" tie
    keep_non_articles: bool = False  # its source keeps pages that are not articles (sources.yaml)


@dataclass(frozen=True, slots=True)
class Article:
    article_id: str  # sha1 of the URL, or of source + relative path for files
    source: str
    url: str | None
    source_path: str | None
    ingest_date: date
    title: str | None = None
    author: str | None = None
    sitename: str | None = None
    description: str | None = None  # the page's own summary (meta description), when it has one
    publisher: str | None = None  # registered domain of the URL, else the sitename, else the source
    published_date: date | None = None  # from the page; None for undated .txt
    # metadata, url, text, page or none (htmldate; none for .txt); rejected_future when the page's date
    # fell after the ingest date (then published_date is None)
    published_date_source: str = "none"
    fetched_at: datetime | None = None  # when the source bytes were read or downloaded (UTC)
    language: str | None = None  # ISO 639-1, from langdetect on the clean text
    language_prob: float | None = None
    html_language: str | None = (
        None  # declared: <html lang> / meta language, else the source's configured hint
    )
    text: str = ""
    raw_chars: int = 0
    text_chars: int = 0
    removed: list[RemovedSpan] = field(default_factory=list)
    extraction_method: str = (
        "none"  # plain_text, trafilatura_fast, trafilatura, trafilatura_recall, baseline, failed
    )
    content_hash: str | None = None
    duplicate_of: str | None = None  # article_id of the first copy with the same content_hash
    story_id: str | None = None
    # the URL the page gives for itself (rel=canonical, og:url), else its url; `url` is where it was
    # fetched or archived from (a WARC-Target-URI), which the article_id is made of
    canonical_url: str | None = None
    # article, or home, section, video, audio, gallery, other (document.page_type); a page that is
    # no article is quarantined unless its source keeps them. Plain text is an article.
    page_type: str = "article"
    page_type_evidence: str | None = None  # the signals that decided, as "og:type=website, 24 teasers, …"


@dataclass(frozen=True, slots=True)
class Mention:
    """One occurrence of a gazetteer entity in an article's title or text."""

    article_id: str
    entity_id: str
    alias: str  # the alias as written in the gazetteer
    matched_text: str  # the text as written in the article
    sentence_index: int  # 0-based; the title is sentence -1
    char_offset: int  # in the title when in_title, else in the text
    in_title: bool
    ingest_date: date


@dataclass(frozen=True, slots=True)
class FetchLogEntry:
    """One URL newsflow tried to fetch (or decided not to), with the outcome."""

    url: str
    source: str
    role: str  # article, feed, sitemap or robots
    status: int | None  # HTTP status; None when no response came back
    bytes: int
    elapsed_ms: int
    error_class: str | None  # None when the response was used; else e.g. timeout, http_404, robots_disallowed
    message: str
    fetched_at: datetime
    ingest_date: date


_REMOVED_TYPE = pa.list_(pa.struct([("rule", pa.string()), ("text", pa.string())]))

RAW_SCHEMA = pa.schema(
    [
        ("source", pa.string()),
        ("source_path", pa.string()),
        ("url", pa.string()),
        ("content_type", pa.string()),
        ("raw_text", pa.large_string()),
        ("encoding", pa.string()),
        ("raw_bytes", pa.int64()),
        ("ingest_date", pa.date32()),
        ("fetched_at", pa.timestamp("us", tz="UTC")),
        ("read_error", pa.string()),
        ("language_hint", pa.string()),
        ("position", pa.int64()),
        ("keep_non_articles", pa.bool_()),
    ]
)

ARTICLE_SCHEMA = pa.schema(
    [
        ("article_id", pa.string()),
        ("source", pa.string()),
        ("url", pa.string()),
        ("source_path", pa.string()),
        ("ingest_date", pa.date32()),
        ("title", pa.string()),
        ("author", pa.string()),
        ("sitename", pa.string()),
        ("description", pa.string()),
        ("publisher", pa.string()),
        ("published_date", pa.date32()),
        ("published_date_source", pa.string()),
        ("fetched_at", pa.timestamp("us", tz="UTC")),
        ("language", pa.string()),
        ("language_prob", pa.float64()),
        ("html_language", pa.string()),
        ("text", pa.large_string()),
        ("raw_chars", pa.int64()),
        ("text_chars", pa.int64()),
        ("removed", _REMOVED_TYPE),
        ("extraction_method", pa.string()),
        ("content_hash", pa.string()),
        ("duplicate_of", pa.string()),
        ("story_id", pa.string()),
        ("canonical_url", pa.string()),
        ("page_type", pa.string()),
        ("page_type_evidence", pa.string()),
    ]
)

QUARANTINE_SCHEMA = ARTICLE_SCHEMA.append(pa.field("stage", pa.string())).append(
    pa.field("failed_expectations", pa.list_(pa.string()))
)

MENTION_SCHEMA = pa.schema(
    [
        ("article_id", pa.string()),
        ("entity_id", pa.string()),
        ("alias", pa.string()),
        ("matched_text", pa.string()),
        ("sentence_index", pa.int32()),
        ("char_offset", pa.int32()),
        ("in_title", pa.bool_()),
        ("ingest_date", pa.date32()),
    ]
)

FETCH_LOG_SCHEMA = pa.schema(
    [
        ("url", pa.string()),
        ("source", pa.string()),
        ("role", pa.string()),
        ("status", pa.int32()),
        ("bytes", pa.int64()),
        ("elapsed_ms", pa.int64()),
        ("error_class", pa.string()),
        ("message", pa.string()),
        ("fetched_at", pa.timestamp("us", tz="UTC")),
        ("ingest_date", pa.date32()),
    ]
)

# One row of a processed shard: the article (or the stub of a rejected document) with everything the
# day steps need, so they never reopen the text: its position, why it was rejected at read time, the
# story signature, and its watchlist mentions (published only if the article is).
PROCESSED_EXTRAS = pa.schema(
    [
        ("position", pa.int64()),
        ("reject_stage", pa.string()),
        ("reject_reason", pa.string()),
        ("minhash", pa.list_(pa.uint64())),
        ("shingles", pa.list_(pa.uint32())),
        ("mentions", pa.list_(pa.struct(list(MENTION_SCHEMA)))),
        ("line_keys", pa.list_(pa.string())),  # short lines, for the publisher's template lines
    ]
)
PROCESSED_SCHEMA = pa.unify_schemas([ARTICLE_SCHEMA, PROCESSED_EXTRAS])

# A publisher's template lines learned on one day (lake dataset `templates`, see newsflow.day.templates).
TEMPLATE_SCHEMA = pa.schema([("publisher", pa.string()), ("line_key", pa.string()), ("stories", pa.int64())])

# The history index of published articles (lake dataset `signatures`): what later days compare
# against for exact duplicates and near-duplicate stories, without re-reading any text.
SIGNATURE_SCHEMA = pa.schema(
    [
        ("article_id", pa.string()),
        ("ingest_date", pa.date32()),
        ("position", pa.int64()),  # order in the day's articles partition
        ("content_hash", pa.string()),
        ("story_id", pa.string()),
        ("minhash", pa.list_(pa.uint64())),
        ("shingles", pa.list_(pa.uint32())),
    ]
)

# The per-row decisions of the whole-day steps, staged for publish (newsflow.day.steps).
DEDUP_SCHEMA = pa.schema(
    [
        ("source", pa.string()),
        ("position", pa.int64()),
        ("reject_stage", pa.string()),  # read or collect; validation decides the rest
        ("reject_reason", pa.string()),
        ("content_hash", pa.string()),
        ("duplicate_of", pa.string()),
        ("story_id", pa.string()),
    ]
)
VALIDATION_SCHEMA = pa.schema(
    [("source", pa.string()), ("position", pa.int64()), ("failed_expectations", pa.list_(pa.string()))]
)

# The watchlist as the warehouse sees it (relation raw_entities, newsflow.warehouse.build).
ENTITY_SCHEMA = pa.schema(
    [
        ("entity_id", pa.string()),
        ("label", pa.string()),
        ("entity_type", pa.string()),
        ("wikidata_id", pa.string()),
        ("aliases", pa.list_(pa.string())),
        ("acronyms", pa.list_(pa.string())),
        # names.entity_key of each alias and acronym: what joins a discovered entity to this one
        ("alias_keys", pa.list_(pa.string())),
    ]
)


# The open-world entities of a published day (lake dataset `discovered`, written by newsflow.day.enrich):
# one row per mention of a person, organisation or place NER found in a French or English article.
DISCOVERED_SCHEMA = pa.schema(
    [
        ("article_id", pa.string()),
        ("entity_key", pa.string()),  # the entity: the normalised key of its fullest name
        ("name", pa.string()),  # its fullest name in the article, as most often written
        ("kind", pa.string()),  # PER, ORG or LOC
        ("entity_id", pa.string()),  # the watchlist entity it is, when one of its forms is an alias
        ("matched_text", pa.string()),
        ("sentence_index", pa.int32()),
        ("char_offset", pa.int32()),
        ("ingest_date", pa.date32()),
    ]
)


@dataclass(frozen=True, slots=True)
class Dataset:
    """A lake dataset: one Parquet partition per ingest day, replaced whole by the step that writes it."""

    name: str
    schema: pa.Schema
    in_warehouse: bool  # mirrored in the warehouse as table lake_<name>
    published: bool = True  # written by publish with the rest of the day; else by its own step


SIGNATURES = "signatures"
TEMPLATES = "templates"
DISCOVERED = "discovered"
# Every dataset of the lake, those publish writes in the order it writes them.
DATASETS = (
    Dataset("articles", ARTICLE_SCHEMA, in_warehouse=True),
    Dataset("quarantine", QUARANTINE_SCHEMA, in_warehouse=True),
    Dataset("mentions", MENTION_SCHEMA, in_warehouse=True),
    # the history index of published articles, which only later days' dedup step reads
    Dataset(SIGNATURES, SIGNATURE_SCHEMA, in_warehouse=False),
    # each publisher's template lines of the day, which later days' cleaning reads
    Dataset(TEMPLATES, TEMPLATE_SCHEMA, in_warehouse=False),
    Dataset("fetch_log", FETCH_LOG_SCHEMA, in_warehouse=True),
    # written after publishing, off the ingest path (newsflow.day.enrich)
    Dataset(DISCOVERED, DISCOVERED_SCHEMA, in_warehouse=True, published=False),
)
# dataset name -> schema, of the datasets the warehouse loads.
WAREHOUSE_DATASETS = {dataset.name: dataset.schema for dataset in DATASETS if dataset.in_warehouse}

# A fetch log's error_class values that are decisions, not failures: they do not count towards a
# day's failure share. Every other non-null value is a failure.
POLICY_SKIPS = frozenset({"already_seen", "duplicate_url", "robots_disallowed", "unchanged"})
# The same two definitions for SQL (the warehouse and the day steps create these macros).
FETCH_LOG_MACROS = (
    "create or replace macro is_policy_skip(error_class) as "
    f"coalesce(error_class in ({', '.join(repr(skip) for skip in sorted(POLICY_SKIPS))}), false);\n"
    "create or replace macro is_fetch_failure(error_class) as "
    "error_class is not null and not is_policy_skip(error_class);"
)

SCHEMAS: dict[type, pa.Schema] = {
    RawDocument: RAW_SCHEMA,
    Article: ARTICLE_SCHEMA,
    Mention: MENTION_SCHEMA,
    FetchLogEntry: FETCH_LOG_SCHEMA,
}

Record = TypeVar("Record", RawDocument, Article, Mention, FetchLogEntry)


def stable_id(*parts: str) -> str:
    """Deterministic id from its parts, so re-running a date yields the same ids."""
    return hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()


def to_table(records: list[Any], record_type: type) -> pa.Table:
    """Records (all of `record_type`) to an Arrow table with that type's schema, column by column
    (a dict a row made Arrow look up every key of every row: 8x slower on a shard of pages)."""
    columns = {
        f.name: [getattr(record, f.name) for record in records] for f in dataclasses.fields(record_type)
    }
    if "removed" in columns:
        columns["removed"] = [[dataclasses.asdict(span) for span in spans] for spans in columns["removed"]]
    return pa.Table.from_pydict(columns, schema=SCHEMAS[record_type])


def from_table(table: pa.Table, record_type: type[Record]) -> list[Record]:
    """An Arrow table back to records; the inverse of `to_table`."""
    names = [f.name for f in dataclasses.fields(record_type)]
    records = []
    for row in table.select(names).to_pylist():
        if "removed" in row:
            row["removed"] = [RemovedSpan(**span) for span in row["removed"] or []]
        records.append(record_type(**row))
    return records
