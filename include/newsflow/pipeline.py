"""The stages composed for one ingest day; the CLI runs them in a row, the DAG one task each.

Every step reads the previous step's staging file and writes its own, so a task can be retried
alone and XCom only ever carries paths and counts.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

from newsflow import candidates, dedup, entities, lake, validate
from newsflow.clean import clean_text
from newsflow.collect import collect_source, fetch_failure_share
from newsflow.extract import extract_html, extract_plain_text
from newsflow.language import detect_language
from newsflow.schema import (
    Article,
    Candidate,
    FetchLogEntry,
    Mention,
    QuarantinedArticle,
    RawDocument,
    Record,
    from_table,
    quarantine_from_table,
    quarantine_table,
    stable_id,
    to_table,
)
from newsflow.settings import Settings
from newsflow.sources import load_sources

LOGGER = logging.getLogger(__name__)


def build_article(raw: RawDocument) -> Article:
    """Extract, clean and measure one decoded document."""
    if raw.content_type == "text/html":
        fetched_on = raw.fetched_at.date() if raw.fetched_at else None
        extracted = extract_html(raw.raw_text, raw.url, max_date=fetched_on)
    else:
        extracted = extract_plain_text(raw.raw_text)
    cleaned = clean_text(extracted.text, extracted.title)
    return Article(
        article_id=article_id_of(raw),
        source=raw.source,
        url=extracted.url or raw.url,
        source_path=raw.source_path,
        ingest_date=raw.ingest_date,
        title=extracted.title,
        author=extracted.author,
        sitename=extracted.sitename,
        description=extracted.description,
        published_date=extracted.published_date,
        published_date_source=extracted.published_date_source,
        fetched_at=raw.fetched_at,
        html_language=extracted.html_language or raw.language_hint,
        text=cleaned.text,
        raw_chars=len(raw.raw_text),
        text_chars=len(cleaned.text),
        removed=extracted.removed + cleaned.removed,
        extraction_method=extracted.method,
    )


def article_id_of(raw: RawDocument) -> str:
    return stable_id(raw.url) if raw.url else stable_id(raw.source, raw.source_path or "")


def with_language(article: Article) -> Article:
    language, probability = detect_language(article.text)
    return dataclasses.replace(article, language=language, language_prob=probability)


# --- steps: (day, settings) -> path of what they wrote --------------------------------------------


def staging_path(settings: Settings, day: date, name: str) -> Path:
    return settings.staging_dir / f"ingest_date={day.isoformat()}" / f"{name}.parquet"


def collect_one(source_name: str, day: date, settings: Settings, offline: bool = False) -> Path:
    """Collect one configured source (the DAG maps this over the sources) into staging."""
    by_name = {source.name: source for source in load_sources(settings)}
    if source_name not in by_name:
        raise ValueError(f"no source named {source_name!r} in the configuration; known: {', '.join(by_name)}")
    collected = collect_source(by_name[source_name], day, settings, offline=offline)
    lake.write_table_atomic(
        to_table(collected.log, FetchLogEntry), staging_path(settings, day, f"fetch_log_{source_name}")
    )
    return lake.write_table_atomic(
        to_table(collected.documents, RawDocument), staging_path(settings, day, f"raw_{source_name}")
    )


def collect(day: date, settings: Settings, offline: bool = False) -> Path:
    """Collect every configured source, one after the other (the CLI's path)."""
    for source in load_sources(settings):
        collect_one(source.name, day, settings, offline=offline)
    return staging_path(settings, day, "raw").parent


def extract(day: date, settings: Settings) -> Path:
    """Raw documents → cleaned articles; documents that are not text, or a URL a second source also
    gave, go straight to quarantine."""
    raws = _read_staged(settings, day, "raw", RawDocument)
    first_source: dict[str, str] = {}
    rejected = []
    articles = []
    for raw in raws:
        article_id = article_id_of(raw)
        reason = raw.read_error
        if reason is None and article_id in first_source:
            reason = f"duplicate_url: also collected from source {first_source[article_id]}"
        first_source.setdefault(article_id, raw.source)
        if reason is None:
            articles.append(build_article(raw))
            continue
        stub = Article(
            article_id,
            raw.source,
            raw.url,
            raw.source_path,
            raw.ingest_date,
            fetched_at=raw.fetched_at,
            raw_chars=raw.raw_bytes,
        )
        rejected.append(QuarantinedArticle(stub, "read" if raw.read_error else "collect", [reason]))
    lake.write_table_atomic(quarantine_table(rejected), staging_path(settings, day, "rejected"))
    return _save_articles(articles, settings, day, "extracted")


def detect_languages(day: date, settings: Settings) -> Path:
    articles = _load_articles(settings, day, "extracted")
    return _save_articles([with_language(a) for a in articles], settings, day, "languages")


def find_duplicates(day: date, settings: Settings) -> Path:
    """Mark exact duplicates (against every earlier day) and near-duplicate stories (within the window)."""
    earlier = lake.read_before(settings.lake_dir, "articles", day, ["content_hash", "article_id"])
    seen: dict[str, str] = {}
    if earlier is not None:
        columns = (earlier.column("content_hash").to_pylist(), earlier.column("article_id").to_pylist())
        for digest, article_id in zip(*columns, strict=True):
            if digest is not None:
                seen.setdefault(digest, article_id)
    articles = dedup.mark_exact_duplicates(_load_articles(settings, day, "languages"), seen)
    window = lake.read_before(
        settings.lake_dir,
        "articles",
        day,
        ["article_id", "story_id", "text"],
        since=day - timedelta(days=settings.story_window_days),
    )
    refs = [dedup.StoryRef(**row) for row in window.to_pylist()] if window is not None else []
    articles = dedup.assign_story_ids(articles, refs, settings)
    return _save_articles(articles, settings, day, "deduplicated")


def validate_batch(day: date, settings: Settings) -> Path:
    """Run the GX suite; write the valid articles and the full quarantine (read + validation)."""
    valid, failed = validate.validate_articles(_load_articles(settings, day, "deduplicated"), settings)
    rejected = quarantine_from_table(lake.read_table(staging_path(settings, day, "rejected")))
    lake.write_table_atomic(quarantine_table(rejected + failed), staging_path(settings, day, "quarantine"))
    return _save_articles(valid, settings, day, "valid")


def publish(day: date, settings: Settings) -> Path:
    """Replace the day's fetch log, quarantine and articles partitions in the lake."""
    fetch_log = to_table(_read_staged(settings, day, "fetch_log", FetchLogEntry), FetchLogEntry)
    lake.write_partition(fetch_log, settings.lake_dir, "fetch_log", day)
    for dataset, name in (("quarantine", "quarantine"), ("articles", "valid")):
        table = lake.read_table(staging_path(settings, day, name))
        path = lake.write_partition(table, settings.lake_dir, dataset, day)
        LOGGER.info("published %d %s rows to %s", table.num_rows, dataset, path)
    return lake.partition_dir(settings.lake_dir, "articles", day)


class FetchHealthError(RuntimeError):
    """Too many article URLs failed to fetch: the run published what it had, then fails."""


def check_fetch_health(day: date, settings: Settings) -> float:
    """The day's share of failed article fetches; FetchHealthError above `max_fetch_failure_share`."""
    log = from_table(lake.read_partition(settings.lake_dir, "fetch_log", day), FetchLogEntry)
    share = fetch_failure_share(log)
    if share > settings.max_fetch_failure_share:
        failed = sorted(
            {f"{row.source}: {row.error_class}" for row in log if row.role == "article" and row.error_class}
        )
        raise FetchHealthError(
            f"{share:.0%} of article fetches failed on {day} (limit {settings.max_fetch_failure_share:.0%}): "
            + "; ".join(failed)
        )
    return share


def extract_mentions(day: date, settings: Settings) -> Path:
    """Gazetteer mentions of the day's published, non-duplicate articles."""
    gazetteer = entities.load_gazetteer(settings.entities_path)
    mentions = [m for a in _published_originals(settings, day) for m in entities.find_mentions(a, gazetteer)]
    return lake.write_partition(to_table(mentions, Mention), settings.lake_dir, "mentions", day)


def discover_candidates(day: date, settings: Settings) -> Path:
    """Names the NER model finds in the day's published articles that the gazetteer lacks."""
    gazetteer = entities.load_gazetteer(settings.entities_path)
    found = candidates.find_candidates(_published_originals(settings, day), gazetteer)
    return lake.write_partition(to_table(found, Candidate), settings.lake_dir, "candidates", day)


def _published_originals(settings: Settings, day: date) -> list[Article]:
    """The day's published articles, less exact duplicates (they would count a text twice)."""
    articles = from_table(lake.read_partition(settings.lake_dir, "articles", day), Article)
    return [a for a in articles if a.duplicate_of is None]


STEPS = (
    collect,
    extract,
    detect_languages,
    find_duplicates,
    validate_batch,
    publish,
    extract_mentions,
    discover_candidates,
)


def ingest_day(
    day: date, settings: Settings, on_step: Callable[[str], object] | None = None, offline: bool = False
) -> dict[str, int]:
    """Run every step for `day` in this process and return the counts the CLI prints.

    `on_step` is told each step's name before it runs (the CLI shows it as progress); `offline`
    replays archived web sources only (`newsflow reextract`).
    """
    for step in STEPS:
        LOGGER.info("step %s for %s", step.__name__, day)
        if on_step is not None:
            on_step(step.__name__)
        if step is collect:
            collect(day, settings, offline=offline)
        else:
            step(day, settings)
    return summarise_day(day, settings)


def summarise_day(day: date, settings: Settings) -> dict[str, int]:
    articles = lake.read_partition(settings.lake_dir, "articles", day)
    duplicates = sum(1 for value in articles.column("duplicate_of").to_pylist() if value is not None)
    fetch_log = lake.read_partition(settings.lake_dir, "fetch_log", day)
    return {
        "read": sum(
            lake.count_rows(staging_path(settings, day, f"raw_{source.name}"))
            for source in load_sources(settings)
        ),  # from the Parquet footers: the raw HTML need not be read again to be counted
        "fetch_errors": sum(1 for e in fetch_log.column("error_class").to_pylist() if e is not None),
        "clean": articles.num_rows,
        "quarantined": lake.read_partition(settings.lake_dir, "quarantine", day).num_rows,
        "duplicates": duplicates,
        "mentions": lake.read_partition(settings.lake_dir, "mentions", day).num_rows,
        "candidates": lake.read_partition(settings.lake_dir, "candidates", day).num_rows,
    }


def _read_staged(settings: Settings, day: date, prefix: str, record_type: type[Record]) -> list[Record]:
    """Records of every configured source's `<prefix>_<source>` staging file, in source order."""
    records: list[Record] = []
    for source in load_sources(settings):
        records += from_table(
            lake.read_table(staging_path(settings, day, f"{prefix}_{source.name}")), record_type
        )
    return records


def _load_articles(settings: Settings, day: date, name: str) -> list[Article]:
    return from_table(lake.read_table(staging_path(settings, day, name)), Article)


def _save_articles(articles: list[Article], settings: Settings, day: date, name: str) -> Path:
    return lake.write_table_atomic(to_table(articles, Article), staging_path(settings, day, name))


def run_step(step_name: str, ds: str | None, settings: Settings | None = None) -> str:
    """Run one named step for the run's logical date; the DAG's tasks are exactly this call."""
    steps = {step.__name__: step for step in (*STEPS, check_fetch_health)}
    if step_name not in steps:
        raise ValueError(f"unknown step {step_name!r}; known: {', '.join(steps)}")
    return str(steps[step_name](_day_of(ds, step_name), settings or Settings.from_env()))


def run_collect_one(source_name: str, ds: str | None, settings: Settings | None = None) -> str:
    """The DAG's mapped collect task: one source for the run's logical date."""
    return str(
        collect_one(source_name, _day_of(ds, f"collect {source_name}"), settings or Settings.from_env())
    )


def _day_of(ds: str | None, what: str) -> date:
    """The partition date. A run triggered without a logical date has no `ds`: falling back to
    today would silently write the wrong partition, so it is an error."""
    if not ds:
        raise ValueError(f"{what} needs the run's logical date (ds); trigger the run with one")
    return date.fromisoformat(ds)
