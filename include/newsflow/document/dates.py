"""An article's publication date: htmldate's quick search of the page, then its thorough search of
the head of the article's text, then of the page's other complete dates, with dateparser reading
dates in the page's language."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time
from functools import cache

from htmldate import find_date
from lxml.html import HtmlElement
from lxml.html import builder as E

from newsflow.document.page import MIN_PUBLISHED_DATE, parse_published_date
from newsflow.upstream.extraction import (
    DATEPARSER_LANGUAGES,
    DateDataParser,
    DateOptions,
    extract_url_date,
    htmldate_parser,
)

LOGGER = logging.getLogger(__name__)

# `find_published_date`'s default: the quick date search has not been run yet.
NOT_SEARCHED = object()


# The thorough (text) date search reads this much of the article's head, where a date line stands.
MAX_DATE_TEXT_CHARS = 2_000
# The page search reads at most this many of the page's text segments that hold a complete date
# (in page order): a page's own date line is among its first; an archive list would cost dateparser
# a call per line.
MAX_PAGE_DATE_SEGMENTS = 20
# htmldate's bounds on a text segment it reads as a date (htmldate.settings MIN/MAX_SEGMENT_LEN).
MAX_DATE_SEGMENT_CHARS = 52
_YEAR = r"(?:199\d|20[0-3]\d)"
# A complete date in a text (a day, a month, a year: 12.03.2024, 2024-03-12, 12 mars 2024, March 12,
# 2024): the page search hands only segments with one to htmldate, so an undated page costs one
# regular expression, never dateparser, and a copyright year alone is never a publication date.
_COMPLETE_DATE = re.compile(
    rf"(?<!\d)(?:\d{{1,2}}[./-]\d{{1,2}}[./-](?:{_YEAR}|\d{{2}})|{_YEAR}[./-]\d{{1,2}}[./-]\d{{1,2}})(?!\d)"
    rf"|(?<!\d)\d{{1,2}}(?:st|nd|rd|th|er|\.)?\s+(?:of\s+)?[^\W\d_]{{3,}}\.?,?\s+{_YEAR}(?!\d)"
    rf"|[^\W\d_]{{3,}}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+{_YEAR}(?!\d)"
)


# dateparser, which htmldate hands the date strings its own patterns cannot read, is told the page's
# language: told none, it loads every locale on first use (~1.6 s for the first such page of each
# process). Undeclared or unknown to dateparser: English. Settings as htmldate's own.
DEFAULT_DATE_LANGUAGE = "en"
DATEPARSER_SETTINGS = {
    "NORMALIZE": True,
    "PARSERS": ["custom-formats", "absolute-time"],
    "PREFER_DATES_FROM": "past",
    "PREFER_LOCALE_DATE_ORDER": True,
    "RETURN_AS_TIMEZONE_AWARE": False,
    "STRICT_PARSING": True,
}


def find_published_date(
    tree: HtmlElement,
    url: str | None,
    max_date: date,
    metadata_date: str | None | object = NOT_SEARCHED,
    text: str | None = None,
    language: str | None = None,
) -> tuple[date | None, str]:
    """(publication date, where it came from) with htmldate, preferring the original date.

    Page metadata and markup first (htmldate's quick search, which also reads the URL: such a
    date is labelled "url"), then htmldate's thorough search over the head of the article `text`
    (default: the page's text), then over the page's text segments that hold a complete date
    (`complete_date_segments`: a date in a sidebar, labelled "page"). htmldate's thorough search of
    a whole page costs ~50 ms on an undated page and answers a copyright year there; over
    MAX_DATE_TEXT_CHARS and the dated segments about 1 ms. `metadata_date` is the quick search's
    answer (None: no date) when the caller already asked it. `language` (the page's) is the one
    dateparser reads dates in. Dates before MIN_PUBLISHED_DATE or after `max_date` are rejected.
    """
    earliest, latest = date_bounds(max_date)

    def from_page() -> str | None:
        if metadata_date is NOT_SEARCHED:
            return find_date(
                tree, url=url, extensive_search=False, original_date=True, min_date=earliest, max_date=latest
            )
        return metadata_date  # type: ignore[return-value]  # not the NOT_SEARCHED sentinel: a str or None

    def thorough(*segments: str) -> str | None:
        if not any(segment.strip() for segment in segments):
            return None
        page = E.HTML(E.BODY(*(E.P(segment) for segment in segments)))
        return find_date(page, extensive_search=True, original_date=True, min_date=earliest, max_date=latest)

    def from_text() -> str | None:
        return thorough((tree.text_content() if text is None else text)[:MAX_DATE_TEXT_CHARS])

    def from_segments() -> str | None:
        return thorough(*complete_date_segments(tree)[:MAX_PAGE_DATE_SEGMENTS])

    def from_url() -> str | None:
        return extract_url_date(url, quick_search_options(earliest, latest)) if url else None

    with reading_dates(language):
        for source, attempt in (("metadata", from_page), ("text", from_text), ("page", from_segments)):
            try:
                found = parse_published_date(attempt())
            except Exception:  # htmldate raises assorted types on odd markup; a date is never worth a crash
                LOGGER.warning("date extraction (%s) failed on %s", source, url or "document", exc_info=True)
                continue
            if found is not None and found <= max_date:
                if source == "metadata" and parse_published_date(from_url()) == found:
                    source = "url"
                return found, source
    return None, "none"


# A text without two digits in a row holds no year: skipped before _COMPLETE_DATE is tried.
_TWO_DIGITS = re.compile(r"\d\d")


def complete_date_segments(tree: HtmlElement) -> list[str]:
    """The page's short text segments (as htmldate reads them: up to MAX_DATE_SEGMENT_CHARS) that
    hold a complete date, in page order."""
    segments = (" ".join(piece.split()) for piece in tree.itertext() if _TWO_DIGITS.search(piece))
    return [s for s in segments if len(s) < MAX_DATE_SEGMENT_CHARS and _COMPLETE_DATE.search(s)]


@cache
def _date_parser(language: str) -> DateDataParser:
    return DateDataParser(languages=[language], settings=DATEPARSER_SETTINGS)


@contextmanager
def reading_dates(language: str | None) -> Iterator[None]:
    """While inside, dateparser (which htmldate hands the dates its own patterns cannot read) reads
    them in `language` (None, or one dateparser does not know: DEFAULT_DATE_LANGUAGE)."""
    known = language if language in DATEPARSER_LANGUAGES else DEFAULT_DATE_LANGUAGE
    with htmldate_parser(lambda: _date_parser(known)):
        yield


def quick_search_options(earliest: datetime, latest: datetime) -> DateOptions:
    """The options `find_date` builds for its quick search of the original date between these
    bounds, for the steps of it asked on their own (the URL's date, the meta tags')."""
    return DateOptions(False, latest, earliest, True, "%Y-%m-%d")


def date_bounds(max_date: date) -> tuple[datetime, datetime]:
    return datetime.combine(MIN_PUBLISHED_DATE, time()), datetime.combine(max_date, time.max)
