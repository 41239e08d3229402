"""An article's publication date: htmldate's quick search of the page, then its thorough search of
the head of the article's text, with dateparser reading dates in the page's language."""

from __future__ import annotations

import logging
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
    (default: the page's text). Only the head: over a whole page that search costs ~0.5 s when no
    date parses, over MAX_DATE_TEXT_CHARS about 1 ms. `metadata_date` is the quick search's
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

    def from_text() -> str | None:
        head = (tree.text_content() if text is None else text)[:MAX_DATE_TEXT_CHARS]
        if not head.strip():
            return None
        page = E.HTML(E.BODY(E.P(head)))
        return find_date(page, extensive_search=True, original_date=True, min_date=earliest, max_date=latest)

    def from_url() -> str | None:
        return extract_url_date(url, DateOptions(False, latest, earliest, True, "%Y-%m-%d")) if url else None

    with reading_dates(language):
        for source, attempt in (("metadata", from_page), ("text", from_text)):
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


def date_bounds(max_date: date) -> tuple[datetime, datetime]:
    return datetime.combine(MIN_PUBLISHED_DATE, time()), datetime.combine(max_date, time.max)
