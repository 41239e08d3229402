"""HTML or plain text → article body and metadata (trafilatura for HTML), then text cleaning."""

from __future__ import annotations

import logging
import re
from contextvars import ContextVar
from copy import deepcopy
from dataclasses import dataclass, field
from datetime import date, datetime, time
from functools import cache

import htmldate.extractors
import trafilatura
from dateparser import DateDataParser
from dateparser.data import language_order as DATEPARSER_LANGUAGES
from htmldate import find_date
from htmldate.extractors import extract_url_date
from htmldate.utils import Extractor as DateOptions
from lxml.etree import Element, ElementDefaultClassLookup
from lxml.html import HtmlComment, HtmlElement, HtmlEntity, HtmlProcessingInstruction
from lxml.html import builder as E
from lxml.html import fromstring as parse_html
from trafilatura.htmlprocessing import prune_unwanted_nodes
from trafilatura.json_metadata import normalize_authors
from trafilatura.metadata import (
    META_URL,  # a URL's host, the site name of last resort
    examine_meta,
    extract_meta_json,
    extract_sitename,
    extract_title,
    extract_url,
)
from trafilatura.settings import Document, Extractor
from trafilatura.utils import HTML_PARSER as TRAFILATURA_HTML_PARSER
from trafilatura.utils import is_dubious_html, repair_faulty_html, trim
from trafilatura.xpaths import AUTHOR_DISCARD_XPATHS

from newsflow.document.clean import clean_text
from newsflow.document.dom import (
    article_blocks,
    drop_code,
    prune_boxes,
    prune_teasers,
    unwrap_embedded_posts,
)
from newsflow.document.page import MIN_PUBLISHED_DATE, detect_html_language, parse_published_date
from newsflow.schema import RemovedSpan

LOGGER = logging.getLogger(__name__)

# `find_published_date`'s default: the quick date search has not been run yet.
NOT_SEARCHED = object()
# The thorough (text) date search reads this much of the article's head, where a date line stands.
MAX_DATE_TEXT_CHARS = 2_000
# A plain-text title is one short line; anything longer is a paragraph.
MAX_TITLE_CHARS = 200
MIN_TITLE_WORDS = 4
# How many leading lines may be kicker labels ("International", "LE MONDE") before the title.
MAX_TITLE_SEARCH_LINES = 3
# Under this many characters a pass probably missed the body: the next pass is tried.
MIN_EXTRACTED_CHARS = 200
# A pass that keeps less than this share of the page's paragraph text probably missed part of the
# body: the next pass is tried. On trafilatura's corpus, 0.3 keeps recall where a full pass has it.
MIN_PARAGRAPH_SHARE = 0.3
# A fast pass that keeps less than this share of the page's text (in paragraphs or not) may have
# taken a box for the article: recall mode reads the page again. On trafilatura's corpus 0.1 finds
# the pages where the full pass would read the body (a magazine story laid out in <div>s).
MIN_PAGE_SHARE = 0.1
# trafilatura passes. The fast pass (no readability/jusText comparison) first: it is as good as the
# full pass on the Zyte pages at twice its speed; the full pass (with the comparison) runs only when
# the fast one looks short, and recall mode rescues pages both cut too short, or whose fast pass
# covers little of the page.
FAST_PASS = "trafilatura_fast"
FURTHER_PASSES: tuple[tuple[str, dict[str, bool]], ...] = (
    ("trafilatura", {}),
    ("trafilatura_recall", {"recall": True}),
)
# trafilatura's balanced mode retries in recall mode inside the call when the text covers little of
# the page, measured on a cleaned copy of it (most of the fast pass's time on short pages).
# extract_html makes that check once, on its own tree; the fast pass is asked without it: its
# `focus` is none of trafilatura's three, which every other test of `focus` in trafilatura 2.3.1
# (pinned) reads as balanced ("precision" and "recall" are tested by name; only the retry tests
# "balanced").
_FAST_PASS_FOCUS = "balanced, without the recall retry"
# How much of a prose block's start or end identifies it in the extracted text (the extractor
# may have split or re-spaced the block).
BLOCK_KEY_CHARS = 60

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
_date_language: ContextVar[str] = ContextVar("date_language", default=DEFAULT_DATE_LANGUAGE)

# trafilatura's HTML parser with one change. lxml.html picks the Python class of every element it
# hands out with a Python callback (forms, inputs and labels get classes of their own), and every
# pass hands out thousands; this lookup, in C, makes each one a plain HtmlElement, all trafilatura
# and newsflow use: ~4 % of extraction time. The copies trafilatura makes of the tree keep it.
_HTML_PARSER = TRAFILATURA_HTML_PARSER.copy()
_HTML_PARSER.set_element_class_lookup(
    ElementDefaultClassLookup(
        element=HtmlElement, comment=HtmlComment, pi=HtmlProcessingInstruction, entity=HtmlEntity
    )
)

# trafilatura's byline search (`trafilatura.xpaths.AUTHOR_XPATHS`: three XPaths, the next read only
# when the last found no usable byline) as Python tests of one element, all three asked in one walk:
# the XPaths call back into Python for their regular expressions on every element, four times slower.
_BYLINE_TAGS = frozenset({"a", "address", "div", "link", "p", "span", "strong"})
_BYLINE_CLASS = re.compile(r"author-?name|AuthorName|authorName")
_BYLINE_TEST_IDS = frozenset({"AuthorCard", "AuthorURL"})
_LIKELY_BYLINE_TAGS = frozenset({"a", "div", "h3", "h4", "p", "span"})
_LIKELY_BYLINE_CLASSES = frozenset({"byline", "username", "byl", "BBL"})
_LIKELY_BYLINE_ID = re.compile(r"author|zuozhe|bianji|xiaobian")
_LIKELY_BYLINE_CLASS = re.compile(
    r"author|channel-name|zuozhe|bianji|xiaobian|submitted-by|posted-by|journalist-name"
)
_ANY_BYLINE_ID = re.compile(r"[Aa]uthor")
_ANY_BYLINE_CLASS = re.compile(r"[Aa]uthor|screenname|writer|[Bb]yline")

# The sections trafilatura's byline search does not read a byline from (comments, sidebars,
# quotes, print-only parts, dates, figures): `trafilatura.xpaths.AUTHOR_DISCARD_XPATHS`, as
# Python tests of one element, asked only of a byline candidate's ancestors and descendants.
_SKIPPED_SECTION_TAGS = frozenset({"a", "div", "section", "span"})
_SKIPPED_SECTION_CLASSES = frozenset({"comments", "title", "date"})
_SKIPPED_SECTION_ID = re.compile(r"^comments|comment-?list|ProductReviews")
_SKIPPED_SECTION_CLASS = re.compile(
    r"^[Cc]omments|commentlist|comments-list|sidebar|is-hidden|quote|embedly-instagram"
    r"|article-(?:share|support)|print|category|meta-date|meta-reviewer"
)
# trafilatura's limit on a byline's length.
MAX_AUTHOR_CHARS = 120

_SENTENCE_END = re.compile(r"[.!?…]\s*$")
_FIRST_SENTENCE = re.compile(r"^.+?[.!?…](?=\s|$)", re.DOTALL)


@dataclass(frozen=True, slots=True)
class Extracted:
    """What one document yields before cleaning."""

    text: str
    method: str
    title: str | None = None
    author: str | None = None
    sitename: str | None = None
    description: str | None = None
    url: str | None = None
    published_date: date | None = None
    published_date_source: str = "none"  # metadata, url, text or none
    html_language: str | None = None
    removed: list[RemovedSpan] = field(default_factory=list)


def extract_html(html: str, url: str | None = None, max_date: date | None = None) -> Extracted:
    """Article body and metadata of an HTML page; empty text (method "failed") when none is found.

    The page is parsed once: metadata (with the publication date) is read from the pristine tree,
    its code is dropped (`drop_code`), embedded posts come out of their wrappers
    (`unwrap_embedded_posts`), teasers and boxes are pruned (each into `removed`), the
    article's prose blocks are listed, and trafilatura's passes run on that same tree (trafilatura
    works on its own copy): the fast pass, then the FURTHER_PASSES while the last looks short
    (under MIN_EXTRACTED_CHARS, or under MIN_PARAGRAPH_SHARE of the page's paragraph text), or
    recall mode alone when the fast pass covers under MIN_PAGE_SHARE of the page's text;
    trafilatura's baseline (all paragraph text) is the last resort. The prose blocks the passes
    dropped are accounted for (`account_for_blocks`). `max_date` is the fetch time: no article is
    published after it.
    """
    html_language = detect_html_language(html)
    tree = parse_page(html)
    if tree is None:
        return Extracted(text="", method="failed", url=url, html_language=html_language)
    max_date = max_date or date.today()
    metadata = _metadata(tree, url, max_date)
    drop_code(tree)
    unwrap_embedded_posts(tree)
    removed = [RemovedSpan(f"dom.teaser_{kind}", text) for kind, text in prune_teasers(tree)]
    removed += [RemovedSpan(rule, text) for rule, text in prune_boxes(tree)]
    blocks = article_blocks(tree, metadata.title)
    paragraph_chars = sum(len(p.text_content()) for p in tree.iter("p"))
    enough_chars = max(MIN_EXTRACTED_CHARS, MIN_PARAGRAPH_SHARE * paragraph_chars)  # else the next pass
    method, text = FAST_PASS, _bare_extraction(tree, url, {"fast": True}, focus=_FAST_PASS_FOCUS)
    passes = FURTHER_PASSES
    if len(text) >= enough_chars:
        page_chars = len(" ".join(tree.text_content().split()))
        passes = FURTHER_PASSES[-1:] if len(text) < MIN_PAGE_SHARE * page_chars else ()
    for name, options in passes:
        candidate = _bare_extraction(tree, url, options)
        if len(candidate) > len(text):
            method, text = name, candidate
        if len(text) >= enough_chars:
            break
    if len(text) < MIN_EXTRACTED_CHARS:
        baseline = _baseline_text(tree)
        if len(baseline) > len(text):
            text, method = baseline, "baseline"
    if not text:
        return Extracted(text="", method="failed", url=url, html_language=html_language)
    text, dropped = account_for_blocks(text, blocks)
    removed += dropped
    published_date, date_source = find_published_date(
        tree, metadata.url or url, max_date, metadata.date, text, html_language
    )
    return Extracted(
        text=text,
        method=method,
        title=metadata.title,
        author=metadata.author,
        sitename=metadata.sitename,
        description=metadata.description,
        url=metadata.url or url,
        published_date=published_date,
        published_date_source=date_source,
        html_language=html_language,
        removed=removed,
    )


@dataclass(frozen=True, slots=True)
class _PageMetadata:
    title: str | None
    author: str | None
    sitename: str | None
    description: str | None
    url: str | None
    date: str | None  # htmldate's quick answer, as trafilatura asked it


def _metadata(tree: HtmlElement, url: str | None, max_date: date) -> _PageMetadata:
    """The page's title, author, site name, description, canonical URL and quick date, read once
    from the pristine tree with trafilatura's metadata readers.

    The same steps as `trafilatura.metadata.extract_metadata` for these fields, without the
    categories, tags and licence the record has no column for (a third of its time). The date is
    htmldate's quick search, which is `find_published_date`'s first attempt: htmldate reads the
    page once, not once here and again there.
    """
    earliest, latest = _date_bounds(max_date)
    try:
        found = examine_meta(tree)
        if found.author and " " not in found.author:  # a handle, not a name (as trafilatura)
            found.author = None
        try:
            found = extract_meta_json(tree, found)
        except Exception:  # trafilatura's JSON-LD reader fails on odd JSON; the meta tags stand
            LOGGER.warning("JSON-LD metadata unreadable on %s", url or "document", exc_info=True)
        found.title = found.title or extract_title(tree)
        found.author = found.author or _author(tree)
        found.url = found.url or extract_url(tree, url)
        found.date = find_date(
            tree,
            url=found.url,
            original_date=True,
            extensive_search=False,
            min_date=earliest,
            max_date=latest,
        )
        found.sitename = _sitename(found.sitename or extract_sitename(tree), found.url)
        found.clean_and_trim()
    except Exception:  # trafilatura raises assorted types on odd markup; metadata is never worth a crash
        LOGGER.warning("metadata extraction failed on %s", url or "document", exc_info=True)
        found = Document()
    return _PageMetadata(
        title=found.title or None,
        author=found.author or None,
        sitename=found.sitename or None,
        description=found.description or None,
        url=found.url or None,
        date=found.date,
    )


def _author(tree: HtmlElement) -> str | None:
    """The byline `trafilatura.metadata.extract_author` finds, without its deep copy of the page.

    trafilatura prunes the skipped sections from a copy of the page, then takes the first element
    its AUTHOR_XPATHS find there with a usable text. Here the same candidates are read from the
    page itself (`byline_candidates`); one inside a skipped section is passed over, and only one
    that holds such a section is copied and pruned before its text is read: the same byline
    (checked on the 560 eval pages) in a fifth of the time.
    """
    for candidates in byline_candidates(tree):
        for candidate in candidates:
            if any(map(_is_skipped_section, candidate.iterancestors())) or _is_skipped_section(candidate):
                continue
            if any(map(_is_skipped_section, candidate.iterdescendants())):
                candidate = prune_unwanted_nodes(deepcopy(candidate), AUTHOR_DISCARD_XPATHS)
            byline = trim(" ".join(candidate.itertext()))
            if byline and 2 < len(byline) < MAX_AUTHOR_CHARS:
                return normalize_authors(None, byline)
    return None


def byline_candidates(tree: HtmlElement) -> tuple[list[HtmlElement], list[HtmlElement], list[HtmlElement]]:
    """What each of trafilatura's AUTHOR_XPATHS selects in `tree`, in document order: elements
    named as the byline, then likely byline elements, then any element whose id, class or
    attributes speak of an author."""
    named: list[HtmlElement] = []
    likely: list[HtmlElement] = []
    loose: list[HtmlElement] = []
    for element in tree.iter(Element):
        tag, class_, id_ = element.tag, element.get("class", ""), element.get("id", "")
        itemprop = element.get("itemprop", "")
        if tag == "author" or (
            tag in _BYLINE_TAGS
            and (
                "author" in (element.get("rel"), id_, class_)
                or itemprop == "author name"
                or element.get("data-testid") in _BYLINE_TEST_IDS
                or _BYLINE_CLASS.search(class_)
            )
        ):
            named.append(element)
        if tag in _LIKELY_BYLINE_TAGS and (
            class_ in _LIKELY_BYLINE_CLASSES
            or "author" in itemprop
            or _LIKELY_BYLINE_ID.search(id_)
            or _LIKELY_BYLINE_CLASS.search(class_)
        ):
            likely.append(element)
        if (
            "Byline" in element.get("data-component", "")
            or "author" in itemprop
            or _ANY_BYLINE_ID.search(id_)
            or _ANY_BYLINE_CLASS.search(class_)
        ):
            loose.append(element)
    return named, likely, loose


def _is_skipped_section(element: HtmlElement) -> bool:
    if element.tag in ("time", "figure"):
        return True
    if element.tag not in _SKIPPED_SECTION_TAGS:
        return False
    id_, class_ = element.get("id", ""), element.get("class", "")
    return bool(
        id_ == "comments"
        or class_ in _SKIPPED_SECTION_CLASSES
        or _SKIPPED_SECTION_ID.search(id_)
        or _SKIPPED_SECTION_CLASS.search(class_)
        or "Figure" in element.get("data-component", "")
    )


def _sitename(name: str | None, url: str | None) -> str | None:
    """The site's name as trafilatura writes it (no "@", capitalised), else the URL's host."""
    if name:
        name = name.lstrip("@")
        return name.title() if name and "." not in name and not name[0].isupper() else name
    match = META_URL.match(url) if url else None
    return match[1] if match else None


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
    earliest, latest = _date_bounds(max_date)
    bounds = {"original_date": True, "min_date": earliest, "max_date": latest}

    def from_page() -> str | None:
        if metadata_date is NOT_SEARCHED:
            return find_date(tree, url=url, extensive_search=False, **bounds)
        return metadata_date  # type: ignore[return-value]

    def from_text() -> str | None:
        head = (tree.text_content() if text is None else text)[:MAX_DATE_TEXT_CHARS]
        return find_date(E.HTML(E.BODY(E.P(head))), extensive_search=True, **bounds) if head.strip() else None

    def from_url() -> str | None:
        return extract_url_date(url, DateOptions(False, latest, earliest, True, "%Y-%m-%d")) if url else None

    token = _date_language.set(language or DEFAULT_DATE_LANGUAGE)
    try:
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
    finally:
        _date_language.reset(token)


@cache
def _date_parser(language: str) -> DateDataParser:
    return DateDataParser(languages=[language], settings=DATEPARSER_SETTINGS)


def _page_date_parser() -> DateDataParser:
    language = _date_language.get()
    return _date_parser(language if language in DATEPARSER_LANGUAGES else DEFAULT_DATE_LANGUAGE)


# htmldate asks this module-level function for its dateparser each time it needs one (htmldate is
# pinned in requirements.txt; its own version builds one parser for every language).
htmldate.extractors.get_external_parser = _page_date_parser


def _date_bounds(max_date: date) -> tuple[datetime, datetime]:
    return datetime.combine(MIN_PUBLISHED_DATE, time()), datetime.combine(max_date, time.max)


def parse_page(html: str) -> HtmlElement | None:
    """The page's tree, None when it is not HTML: read as `trafilatura.utils.load_html` reads a
    string (the same repairs, the same rejection of what is not HTML), with _HTML_PARSER."""
    beginning = html[:50].lower()
    html = repair_faulty_html(html, beginning)
    try:
        try:
            tree = parse_html(html, parser=_HTML_PARSER)
        except ValueError:  # a string that declares its encoding: lxml reads it as UTF-8 bytes
            tree = parse_html(html.encode("utf8", "surrogatepass"), parser=_HTML_PARSER)
    except Exception:  # lxml raises assorted types on broken markup
        LOGGER.warning("could not parse HTML", exc_info=True)
        return None
    if is_dubious_html(beginning) and len(tree) < 2:
        LOGGER.warning("not HTML: the parsed page has %d element(s) and no <html> tag", len(tree))
        return None
    return tree


def account_for_blocks(text: str, blocks: list[str]) -> tuple[str, list[RemovedSpan]]:
    """The extracted `text` with the lead put back, and an `extract.dropped_block` span for every
    other prose block of the article it lacks, so nothing of the article goes without a trace.

    The lead is the first block when it comes before everything the extractor kept: a standfirst
    under the headline, which extractors often take for page header. It goes back in front. Other
    missing blocks are only recorded: putting back the ones between kept paragraphs did not raise
    F1 on either development set (bench/extraction.py), and those after the body are mostly boxes.
    """
    lines = text.split("\n")
    squashed = [" ".join(line.split()) for line in lines]

    def kept(block: str) -> bool:
        keys = (block, block[:BLOCK_KEY_CHARS], block[-BLOCK_KEY_CHARS:])
        return any(key in line for key in keys for line in squashed)

    found = [kept(block) for block in blocks]
    if not any(found):  # the extractor read another part of the page: nothing to compare with
        return text, [RemovedSpan("extract.dropped_block", block) for block in blocks]
    missing = [block for block, present in zip(blocks, found, strict=True) if not present]
    if missing and not found[0]:
        lead = missing.pop(0)
        text = f"{lead}\n{text}"
    return text, [RemovedSpan("extract.dropped_block", block) for block in missing]


def _bare_extraction(
    tree: HtmlElement, url: str | None, options: dict[str, bool], focus: str | None = None
) -> str:
    """The text of one trafilatura pass with these Extractor `options` (and `focus`, when given):
    trafilatura works on a copy, `tree` stays as it is. Reader comments are not the article:
    skipping them saves the comment search too; metadata was read before."""
    extractor = Extractor(output_format="python", comments=False, url=url, **options)
    if focus is not None:
        extractor.focus = focus
    try:
        document = trafilatura.bare_extraction(tree, url=url, options=extractor)
    except Exception:  # trafilatura raises assorted lxml/ValueError types on broken markup
        LOGGER.warning("trafilatura failed on %s (%s)", url or "document", options, exc_info=True)
        return ""
    return (document.text or "") if document is not None else ""


def _baseline_text(tree: HtmlElement) -> str:
    try:
        return trafilatura.baseline(tree)[1]
    except Exception:  # same as above: never let one bad page fail the batch
        LOGGER.warning("trafilatura baseline failed", exc_info=True)
        return ""


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
