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
from newsflow.extract import extract_html, extract_plain_text
from newsflow.language import detect_language
from newsflow.schema import (
    Article,
    Candidate,
    Mention,
    QuarantinedArticle,
    RawDocument,
    from_table,
    quarantine_from_table,
    quarantine_table,
    stable_id,
    to_table,
)
from newsflow.settings import Settings
from newsflow.sources import read_folder

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
        html_language=extracted.html_language,
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


def collect(day: date, settings: Settings) -> Path:
    """Read the source folder into decoded raw documents."""
    documents = read_folder(settings.source_dir, day)
    return lake.write_table_atomic(to_table(documents, RawDocument), staging_path(settings, day, "raw"))


def extract(day: date, settings: Settings) -> Path:
    """Raw documents → cleaned articles; documents that are not text go straight to quarantine."""
    raws = from_table(lake.read_table(staging_path(settings, day, "raw")), RawDocument)
    articles = [build_article(raw) for raw in raws if raw.read_error is None]
    rejected = [
        QuarantinedArticle(
            Article(
                article_id_of(raw), raw.source, raw.url, raw.source_path, raw.ingest_date,
                fetched_at=raw.fetched_at, raw_chars=raw.raw_bytes,
            ),
            "read",
            [raw.read_error],
        )
        for raw in raws
        if raw.read_error is not None
    ]
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
        settings.lake_dir, "articles", day, ["article_id", "story_id", "text"],
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
    """Replace the day's articles and quarantine partitions in the lake."""
    for dataset, name in (("quarantine", "quarantine"), ("articles", "valid")):
        table = lake.read_table(staging_path(settings, day, name))
        path = lake.write_partition(table, settings.lake_dir, dataset, day)
        LOGGER.info("published %d %s rows to %s", table.num_rows, dataset, path)
    return lake.partition_dir(settings.lake_dir, "articles", day)


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
    collect, extract, detect_languages, find_duplicates, validate_batch, publish, extract_mentions, discover_candidates
)


def ingest_day(day: date, settings: Settings, on_step: Callable[[str], object] | None = None) -> dict[str, int]:
    """Run every step for `day` in this process and return the counts the CLI prints.

    `on_step` is told each step's name before it runs (the CLI shows it as progress).
    """
    for step in STEPS:
        LOGGER.info("step %s for %s", step.__name__, day)
        if on_step is not None:
            on_step(step.__name__)
        step(day, settings)
    return summarise_day(day, settings)


def summarise_day(day: date, settings: Settings) -> dict[str, int]:
    articles = lake.read_partition(settings.lake_dir, "articles", day)
    duplicates = sum(1 for value in articles.column("duplicate_of").to_pylist() if value is not None)
    return {
        "read": lake.count_rows(staging_path(settings, day, "raw")),
        "clean": articles.num_rows,
        "quarantined": lake.read_partition(settings.lake_dir, "quarantine", day).num_rows,
        "duplicates": duplicates,
        "mentions": lake.read_partition(settings.lake_dir, "mentions", day).num_rows,
        "candidates": lake.read_partition(settings.lake_dir, "candidates", day).num_rows,
    }


def _load_articles(settings: Settings, day: date, name: str) -> list[Article]:
    return from_table(lake.read_table(staging_path(settings, day, name)), Article)


def _save_articles(articles: list[Article], settings: Settings, day: date, name: str) -> Path:
    return lake.write_table_atomic(to_table(articles, Article), staging_path(settings, day, name))


def run_step(step_name: str, ds: str | None, settings: Settings | None = None) -> str:
    """Run one named step for the run's logical date; the DAG's tasks are exactly this call.

    Raises ValueError when `ds` is missing (a run triggered without a logical date): falling back
    to today would silently write the wrong partition.
    """
    if not ds:
        raise ValueError(f"step {step_name} needs the run's logical date (ds); trigger the run with one")
    steps = {step.__name__: step for step in STEPS}
    if step_name not in steps:
        raise ValueError(f"unknown step {step_name!r}; known: {', '.join(steps)}")
    return str(steps[step_name](date.fromisoformat(ds), settings or Settings.from_env()))
