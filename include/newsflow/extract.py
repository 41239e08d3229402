"""HTML or plain text → article body and metadata (trafilatura for HTML), then text cleaning."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import date

import trafilatura

from newsflow.clean import clean_text
from newsflow.schema import RemovedSpan

LOGGER = logging.getLogger(__name__)

# Dates before the web news era are misreadings (copyright years, founding dates), not publication dates.
MIN_PUBLISHED_DATE = date(1995, 1, 1)
# A plain-text title is one short line; anything longer is a paragraph.
MAX_TITLE_CHARS = 200
MIN_TITLE_WORDS = 4
# How many leading lines may be kicker labels ("International", "LE MONDE") before the title.
MAX_TITLE_SEARCH_LINES = 3
# Under this many characters the default extraction probably missed the body: try recall mode.
MIN_EXTRACTED_CHARS = 200

_SENTENCE_END = re.compile(r"[.!?…]\s*$")
_FIRST_SENTENCE = re.compile(r"^.+?[.!?…](?=\s|$)", re.DOTALL)
_HTML_LANG = re.compile(r"<html\b[^>]*?\blang\s*=\s*[\"']?([A-Za-z]{2,3})", re.IGNORECASE)
_META_LANG = re.compile(
    r"<meta\b[^>]*?http-equiv\s*=\s*[\"']?content-language[\"']?[^>]*?content\s*=\s*[\"']?([A-Za-z]{2,3})",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Extracted:
    """What one document yields before cleaning."""

    text: str
    method: str
    title: str | None = None
    author: str | None = None
    sitename: str | None = None
    url: str | None = None
    published_date: date | None = None
    html_language: str | None = None
    removed: list[RemovedSpan] = field(default_factory=list)


def extract_html(html: str, url: str | None = None) -> Extracted:
    """Article body and metadata of an HTML page; empty text (method "failed") when none is found."""
    html_language = detect_html_language(html)
    document, method = None, "failed"
    for method, options in (("trafilatura", {}), ("trafilatura_recall", {"favor_recall": True})):
        try:
            document = trafilatura.bare_extraction(html, url=url, with_metadata=True, **options)
        except Exception:  # trafilatura raises assorted lxml/ValueError types on broken markup
            LOGGER.warning("trafilatura failed on %s (%s mode)", url or "document", method, exc_info=True)
            document = None
        if document is not None and len(document.text or "") >= MIN_EXTRACTED_CHARS:
            break
    if document is None or not document.text:
        return Extracted(text="", method="failed", url=url, html_language=html_language)
    return Extracted(
        text=document.text,
        method=method,
        title=document.title or None,
        author=document.author or None,
        sitename=document.sitename or None,
        url=document.url or url,
        published_date=parse_published_date(document.date),
        html_language=html_language,
    )


def extract_plain_text(text: str) -> Extracted:
    """Split a plain-text article into title and body.

    The title is the first short line that does not end a sentence; short kicker lines above it
    ("International", "LE MONDE") are removed into the audit. Without such a line the title is
    the first sentence, which stays in the body.
    """
    lines = text.strip().splitlines()
    removed = []
    non_empty = [(i, line.strip()) for i, line in enumerate(lines) if line.strip()]
    for i, line in non_empty[:MAX_TITLE_SEARCH_LINES]:
        words = len(line.split())
        if words >= MIN_TITLE_WORDS and len(line) <= MAX_TITLE_CHARS and not _SENTENCE_END.search(line):
            body = "\n".join(lines[i + 1 :]).strip()
            return Extracted(text=body, method="plain_text", title=line, removed=removed)
        if words >= MIN_TITLE_WORDS:
            break
        removed.append(RemovedSpan("kicker_label", line))
    body = text.strip()
    match = _FIRST_SENTENCE.match(body)
    lead = match.group(0) if match else body
    title = lead if len(lead) <= MAX_TITLE_CHARS else lead[:MAX_TITLE_CHARS].rsplit(" ", 1)[0]
    return Extracted(text=body, method="plain_text", title=title.strip() or None)


def extract_text(html: str, url: str | None = None) -> str:
    """Final cleaned article text of an HTML page, "" when nothing usable is found; never raises."""
    extracted = extract_html(html, url)
    return clean_text(extracted.text, extracted.title).text


def detect_html_language(html: str) -> str | None:
    """The language the page declares (<html lang>, else meta content-language), lower-cased."""
    head = html[:20_000]
    match = _HTML_LANG.search(head) or _META_LANG.search(head)
    return match.group(1).lower() if match else None


def parse_published_date(value: str | None) -> date | None:
    """ISO date from trafilatura/htmldate, or None when missing, malformed or implausibly old."""
    if not value:
        return None
    try:
        parsed = date.fromisoformat(value[:10])
    except ValueError:
        return None
    return parsed if parsed >= MIN_PUBLISHED_DATE else None
