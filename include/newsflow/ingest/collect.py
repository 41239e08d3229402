"""Collecting one source for one day: read a folder, or discover, fetch, archive and log its URLs.

A web source's day is archived once (WARC + fetch log) and replayed from the archive on re-runs,
so re-running a date is idempotent and needs no network.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TypeVar

import httpx

from newsflow.document.page import (
    declared_charset,
    decode_bytes,
    detect_html_language,
    known_charset,
    publisher_of,
)
from newsflow.ingest.archive import WARC_FILE, SeenUrl, SeenUrls, archive_dir, read_warc, write_warc
from newsflow.ingest.feeds import FeedError, Link, parse_feed, parse_sitemap
from newsflow.ingest.fetch import Fetcher, FetchResult, normalise_url
from newsflow.ingest.sources import SourceSpec, iter_folder
from newsflow.ingest.warc import BadRecord, describe, read_archive, warc_files
from newsflow.schema import FetchLogEntry, RawDocument, from_table, to_table
from newsflow.settings import Settings
from newsflow.store import lake

LOGGER = logging.getLogger(__name__)
_Parsed = TypeVar("_Parsed")  # what a listing parses to (feed links; sitemap links and children)

FETCH_LOG_FILE = "fetch_log.parquet"
# Sources fetched over HTTP: their days are archived (WARC + fetch log) and replayed from there.
WEB_KINDS = frozenset({"urls", "rss", "sitemap"})
# How often a long fetch reports progress in the task log.
PROGRESS_EVERY = 25
# A sitemap index may point at sitemaps, which may not point further.
MAX_SITEMAP_DEPTH = 2


@dataclass(frozen=True, slots=True)
class Collected:
    documents: Iterable[RawDocument]  # a folder's are read lazily, one file at a time
    log: list[FetchLogEntry]
    replayed: bool = False
    # Records the fetched URLs as seen; the caller calls it once the documents are staged, so a
    # crash before that never loses an article to `already_seen` on a later day.
    mark_seen: Callable[[], None] = lambda: None


def collect_source(
    source: SourceSpec,
    day: date,
    settings: Settings,
    offline: bool = False,
    transport: httpx.BaseTransport | None = None,
) -> Collected:
    """The day's documents of one source, and a log row for every URL tried or skipped.

    `offline` replays archived days only: a web source without an archive for `day` yields nothing.
    """
    if source.kind == "folder":
        documents = iter_folder(Path(source.location), day, source.name, settings.max_body_bytes)
        return Collected((dataclasses.replace(d, language_hint=source.language) for d in documents), [])
    if source.kind == "warc":
        log: list[FetchLogEntry] = []  # one row per file, filled as the documents are read
        return Collected(_read_archives(source, day, settings.max_body_bytes, log), log)
    archive = archive_dir(settings.archive_dir, source.name, day)
    if (archive / WARC_FILE).exists() and (archive / FETCH_LOG_FILE).exists():
        LOGGER.info("replaying %s for %s from %s", source.name, day, archive)
        return _replay(source, day, archive)
    if offline:
        LOGGER.warning("no archive of %s for %s: nothing to re-extract", source.name, day)
        return Collected([], [], replayed=True)
    return _fetch_live(source, day, settings, archive, transport)


def archived_log(source: SourceSpec, day: date, settings: Settings) -> lake.Location | None:
    """Where the fetch log of a web source's day is kept: its archive, written when the day is
    fetched and read again by its replays; None for folders and WARC files, whose log (rows of
    what each file held) the caller keeps."""
    if source.kind not in WEB_KINDS:
        return None
    return archive_dir(settings.archive_dir, source.name, day) / FETCH_LOG_FILE


def _fetch_live(
    source: SourceSpec,
    day: date,
    settings: Settings,
    archive: lake.Location,
    transport: httpx.BaseTransport | None,
) -> Collected:
    state = SeenUrls(settings.lake_uri, source.name, day)
    fetched: list[FetchResult] = []
    skipped: list[FetchLogEntry] = []
    with Fetcher(settings, transport, allow_private_addresses=source.allow_private_addresses) as fetcher:
        links = _discover(source, fetcher, state, fetched)
        unique: dict[str, Link] = {}
        for link in links:
            url = normalise_url(link.url)
            if url in unique:
                skipped.append(
                    _skip(url, source, day, "duplicate_url", f"same as {unique[url].url} after normalisation")
                )
            else:
                unique[url] = link
        todo = list(unique)[: source.max_items]
        for done, url in enumerate(todo):
            if done % PROGRESS_EVERY == 0:
                LOGGER.info("%s: %d of %d article URLs done", source.name, done, len(todo))
            outcome = _fetch_article(fetcher, state.lookup(url), unique[url], url, source, day)
            if isinstance(outcome, FetchResult):
                fetched.append(outcome)
            else:
                skipped.append(outcome)
        fetched.extend(fetcher.robots_log)
    log = [_log_row(result, source, day) for result in fetched] + skipped
    write_warc(archive / WARC_FILE, fetched)
    lake.write_table_atomic(to_table(log, FetchLogEntry), archive / FETCH_LOG_FILE)

    def mark_seen() -> None:
        for result in fetched:
            # 200s and 304s are what the site has now: they move last_seen (and the validators) on.
            if (
                result.status in (200, 304)
                and result.error_class in (None, "unchanged")
                and result.role != "robots"
            ):
                has_body = result.role == "article" and result.status == 200  # a 304 carries no body
                body_hash = hashlib.sha256(result.body).hexdigest() if has_body else None
                state.record(result.url, body_hash, result.headers)
        state.save()

    documents = _documents([result for result in fetched if _is_article(result)], source, day)
    LOGGER.info("%s: %d articles fetched, %d log rows", source.name, len(documents), len(log))
    return Collected(documents, log, mark_seen=mark_seen)


def _fetch_article(
    fetcher: Fetcher, seen: SeenUrl | None, link: Link, url: str, source: SourceSpec, day: date
) -> FetchResult | FetchLogEntry:
    """Fetch an article URL that is new, or listed as updated since it was last seen (then
    conditionally, and `unchanged` when the body is the same); else the `already_seen` log row."""
    if seen is None or seen.is_new_on(day):
        return fetcher.get(url, "article")
    if link.updated is None or link.updated <= seen.last_seen:
        return _skip(url, source, day, "already_seen", f"fetched on {seen.last_seen}, not updated since")
    result = fetcher.get(url, "article", seen.validators)
    if result.ok and result.status == 200 and hashlib.sha256(result.body).hexdigest() == seen.content_hash:
        return result.failed(
            "unchanged", f"listed as updated on {link.updated}, same content as on {seen.last_seen}"
        )
    return result


def _replay(source: SourceSpec, day: date, archive: lake.Location) -> Collected:
    """The archived day again. The WARC keeps every response, refused ones too (a PDF, a cut-off
    body, an unchanged page); the fetch log says which ones were used as articles."""
    log = from_table(lake.read_table(archive / FETCH_LOG_FILE), FetchLogEntry)
    used = {row.url for row in log if row.role == "article" and row.status == 200 and row.error_class is None}
    responses = read_warc(archive / WARC_FILE)
    documents = _documents([r for r in responses if _is_article(r) and r.url in used], source, day)
    return Collected(documents, log, replayed=True)


def _discover(
    source: SourceSpec, fetcher: Fetcher, state: SeenUrls, fetched: list[FetchResult]
) -> list[Link]:
    """Article links of the source, in source order; feed and sitemap responses go to `fetched`."""
    if source.kind == "urls":
        lines = list(source.urls)
        if source.location:
            lines += Path(source.location).read_text(encoding="utf-8").splitlines()
        return [Link(line.strip()) for line in lines if line.strip() and not line.strip().startswith("#")]
    if source.kind == "rss":
        return _fetch_listing(fetcher, state, source.location, "feed", parse_feed, fetched) or []
    links: list[Link] = []
    queue = [(source.location, 1)]
    while queue:
        url, depth = queue.pop(0)
        page_links, children = _fetch_listing(fetcher, state, url, "sitemap", parse_sitemap, fetched) or (
            [],
            [],
        )
        links += page_links
        queue += [(child, depth + 1) for child in children if depth < MAX_SITEMAP_DEPTH]
    return links


def _fetch_listing(
    fetcher: Fetcher,
    state: SeenUrls,
    url: str,
    role: str,
    parse: Callable[[bytes], _Parsed],
    fetched: list[FetchResult],
) -> _Parsed | None:
    """Fetch a feed or sitemap with a conditional GET and parse it; None when it failed, did not
    change (304) or did not parse (the fetch result then records why)."""
    seen = state.lookup(url)
    result = fetcher.get(url, role, seen.validators if seen else None)
    fetched.append(result)
    if not result.ok or result.status == 304:
        return None
    try:
        return parse(result.body)
    except FeedError as exc:
        fetched[-1] = result.failed("malformed_" + role, str(exc))
        return None


def _is_article(result: FetchResult) -> bool:
    return result.role == "article" and result.ok and result.status == 200


def _read_archives(
    source: SourceSpec, day: date, max_body_bytes: int, log: list[FetchLogEntry]
) -> Iterator[RawDocument]:
    """The day's pages from someone else's WARC and ARC files: the HTML 200 responses and HTML
    resource records archived on `day` (their WARC-Date), from the allowed publishers, in the
    source's `language` when the page declares one (an undeclared page is kept: langdetect
    decides), up to `max_items`. Each file adds a log row (role `warc`) saying what it held and
    what was not kept; each bad record of the day (or of no known day) a row with its reason; a
    file whose rest is lost (`truncated_warc`) keeps the pages read before the damage."""
    position = 0
    for path in warc_files(source.location):
        started, held, skipped = time.monotonic(), Counter[str](), Counter[str]()
        kept_before, truncation = position, None
        for item in read_archive(path, max_body_bytes, held):
            if isinstance(item, BadRecord):
                if item.error_class == "truncated_warc":
                    truncation = item
                elif item.fetched_at is None or item.fetched_at.date() == day:
                    log.append(_bad_record_row(path, item, source, day))
                continue
            result, where = item.result, f"{path.resolve().name}@{item.offset}"
            if result.fetched_at.date() != day:
                skipped["other_day"] += 1
            elif source.domains and publisher_of(result.url, None, source.name) not in source.domains:
                skipped["other_publisher"] += 1
            elif source.max_items is not None and position >= source.max_items:
                skipped["over_max_items"] += 1
            elif not _in_language(
                document := _document(result, source, day, position, where), source.language
            ):
                skipped["other_language"] += 1
            else:
                yield document
                position += 1
        not_kept = ", ".join(f"{reason} {n}" for reason, n in sorted(skipped.items()))
        message = f"{position - kept_before} pages of {day}; the file held {describe(held)}"
        message += f"; not kept: {not_kept or 'nothing'}"
        if truncation is not None:
            message += f"; damaged at byte {truncation.offset}: {truncation.reason}"
            LOGGER.error("%s: %s", path, message)
        log.append(
            FetchLogEntry(
                str(path.resolve()),  # the archive itself, not a backfill's link to it
                source.name,
                "warc",
                None,
                path.stat().st_size if path.is_file() else 0,
                int((time.monotonic() - started) * 1000),
                None if truncation is None else truncation.error_class,
                message,
                datetime.now(UTC),
                day,
            )
        )


def _bad_record_row(path: Path, bad: BadRecord, source: SourceSpec, day: date) -> FetchLogEntry:
    """The fetch-log row of a record that could not be used: its URL (else file@offset) and why."""
    where = f"{path.resolve()}@{bad.offset}"
    message = f"{path.name} at byte {bad.offset}: {bad.reason}"
    return FetchLogEntry(
        bad.url or where, source.name, "warc", None, 0, 0, bad.error_class, message, datetime.now(UTC), day
    )


def _in_language(document: RawDocument, language: str | None) -> bool:
    """Whether the page declares `language` (`<html lang>` or content-language), or declares nothing."""
    if language is None:
        return True
    declared = detect_html_language(document.raw_text)
    return declared is None or declared.split("-")[0] == language.lower()


def _documents(responses: list[FetchResult], source: SourceSpec, day: date) -> list[RawDocument]:
    return [_document(result, source, day, position) for position, result in enumerate(responses)]


def _document(
    result: FetchResult, source: SourceSpec, day: date, position: int, source_path: str | None = None
) -> RawDocument:
    declared = (known_charset(result.charset) if result.charset else None) or declared_charset(result.body)
    text, encoding = decode_bytes(result.body, declared)
    error = None if text is not None else "binary_content: not text in any known encoding"
    return RawDocument(
        source.name,
        source_path,
        result.url or None,  # an archived page without a Target-URI: its id comes from source_path
        "text/html",
        text or "",
        encoding,
        len(result.body),
        day,
        result.fetched_at,
        error,
        source.language,
        position,
    )


def _log_row(result: FetchResult, source: SourceSpec, day: date) -> FetchLogEntry:
    message = result.message or ("not modified" if result.status == 304 else "")
    if result.final_url and result.final_url != result.url and not message:
        message = f"redirected to {result.final_url}"
    return FetchLogEntry(
        result.url,
        source.name,
        result.role,
        result.status,
        len(result.body),
        result.elapsed_ms,
        result.error_class,
        message,
        result.fetched_at,
        day,
    )


def _skip(url: str, source: SourceSpec, day: date, reason: str, message: str) -> FetchLogEntry:
    return FetchLogEntry(url, source.name, "article", None, 0, 0, reason, message, datetime.now(UTC), day)
