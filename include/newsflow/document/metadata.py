"""A page's metadata: title, author, site name, description, canonical URL and quick date, read
once from the pristine tree with trafilatura's readers for these fields only."""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from copy import deepcopy
from dataclasses import dataclass
from datetime import date, datetime

from htmldate import find_date
from lxml.etree import Element
from lxml.html import HtmlElement

from newsflow.document.dates import date_bounds, quick_search_options, reading_dates
from newsflow.document.tree import set_aside
from newsflow.upstream.extraction import (
    AUTHOR_DISCARD_XPATHS,
    META_URL,
    Document,
    examine_header,
    examine_meta,
    extract_meta_json,
    extract_sitename,
    extract_title,
    extract_url,
    extract_url_date,
    normalize_authors,
    prune_unwanted_nodes,
    trim,
)

LOGGER = logging.getLogger(__name__)

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
# What one of those tests looks for in a class or an id: an element whose class and id hold none of
# it, and whose other attributes name no author, is no candidate. One search, not six.
_MAY_NAME_BYLINE = re.compile(
    r"uthor|[Bb]yl|BBL|username|writer|screenname|channel-name|zuozhe|bianji|xiaobian"
    r"|submitted-by|posted-by|journalist-name"
)
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


# The id or class of a reader-comments section (or of one comment in it).
_COMMENT_SECTION = re.compile(
    r"(?i)(?:comments?|commentlist|disqus_thread)(?:[-_](?:list|area|section|wrapper|container|thread|block))?"
)
# A class or id that may name reader comments (`_COMMENT_SECTION` decides): a quick test first,
# since most of a page's elements name none and the full test of each took a third of the metadata's time.
_MAY_NAME_COMMENTS = re.compile(r"(?i)comment|disqus")


# What separates a title from the site's name ("Headline - Site", "SITE | Headline | 02.11.2023").
_TITLE_PARTS = re.compile(r"(\s+[-|–—·»:]{1,2}\s+)")
# A byline that names a web address, or is a date or a number, names no one.
_NOT_A_NAME = re.compile(r"https?:|www\.|\.(?:com|org|net|fr|de|uk)\b|\d", re.IGNORECASE)
# Bylines that name the newsroom, not a writer ("La rédaction", "Redaktion", "Staff"), as words:
# with the site's own name and the function words around them, such a byline names no one.
NEWSROOM_WORDS = frozenset(
    {"rédaction", "redaction", "redaktion", "redacción", "redazione", "redactie", "newsroom", "staff"}
    | {"editors", "editorial", "admin", "administrator", "team", "équipe"}
)
_FUNCTION_WORDS = frozenset(
    {"la", "le", "les", "l", "de", "du", "des", "d", "by", "the", "of", "par", "von", "der", "die", "das"}
    | {"avec", "with", "and", "et"}
)


# trafilatura's limit on a byline's length.
MAX_AUTHOR_CHARS = 120


@dataclass(frozen=True, slots=True)
class PageMetadata:
    title: str | None
    author: str | None
    sitename: str | None
    description: str | None
    url: str | None
    date: str | None  # htmldate's quick answer, as trafilatura asked it


def read_metadata(tree: HtmlElement, url: str | None, max_date: date) -> PageMetadata:
    """The page's title, author, site name, description, canonical URL and quick date, read once
    from the pristine tree with trafilatura's metadata readers.

    The same steps as `trafilatura.metadata.extract_metadata` for these fields, without the
    categories, tags and licence the record has no column for (a third of its time). The date is
    htmldate's quick search, which is `find_published_date`'s first attempt: htmldate reads the
    page once, not once here and again there; it does not read reader comments, whose dates are
    theirs, not the article's.
    """
    earliest, latest = date_bounds(max_date)
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
        found.date = quick_date(tree, found.url, earliest, latest)
        found.sitename = _sitename(found.sitename or extract_sitename(tree), found.url)
        found.clean_and_trim()
        found.title = title_without_site(found.title, found.sitename)
        found.author = real_authors(found.author, found.sitename)
    except Exception:  # trafilatura raises assorted types on odd markup; metadata is never worth a crash
        LOGGER.warning("metadata extraction failed on %s", url or "document", exc_info=True)
        found = Document()
    return PageMetadata(
        title=found.title or None,
        author=found.author or None,
        sitename=found.sitename or None,
        description=found.description or None,
        url=found.url or None,
        date=found.date,
    )


def quick_date(tree: HtmlElement, url: str | None, earliest: datetime, latest: datetime) -> str | None:
    """htmldate's quick search for the original date (`find_date` without its extensive search),
    not reading reader comments, whose dates are theirs, not the article's. Its first steps, the
    URL and the meta tags, are asked first on their own when no meta tag sits in reader comments:
    on most pages the date is there, and the walk that sets the comments aside
    (`comments_set_aside`) is made only for the pages whose date is further down."""
    options = quick_search_options(earliest, latest)
    if url is None:  # as find_date: the canonical link's
        canonical = tree.find('.//link[@rel="canonical"]')
        url = canonical.get("href") if canonical is not None else None
    with reading_dates(None):
        if url and (found := extract_url_date(url, options)):
            return found
        if not _meta_in_comments(tree) and (found := examine_header(tree, options)):
            return found
        with comments_set_aside(tree):
            return find_date(
                tree, url=url, original_date=True, extensive_search=False, min_date=earliest, max_date=latest
            )


def _meta_in_comments(tree: HtmlElement) -> bool:
    """True when a meta tag sits in reader comments (a comment's schema.org datePublished). Each
    element is asked once, however many meta tags it holds: a page of thousands of meta tags deep
    in nested boxes costs one walk up, not one per tag."""
    asked: set[HtmlElement] = set()
    for meta in tree.iter("meta"):
        for ancestor in meta.iterancestors():
            if ancestor in asked:
                break  # it and everything above it were asked before
            if is_comment_section(ancestor):
                return True
            asked.add(ancestor)
    return False


@contextmanager
def comments_set_aside(tree: HtmlElement) -> Iterator[None]:
    """While inside, the reader-comment sections of `tree` (`is_comment_section`) are out of it;
    they go back where they were on leaving, the page unchanged (no copy of it is made)."""
    with set_aside([e for e in tree.iter(Element) if _may_name_comments(e) and is_comment_section(e)]):
        yield


def _may_name_comments(element: HtmlElement) -> bool:
    class_, id_ = element.get("class"), element.get("id")
    return bool(
        (class_ is not None and _MAY_NAME_COMMENTS.search(class_))
        or (id_ is not None and _MAY_NAME_COMMENTS.search(id_))
    )


def is_comment_section(element: HtmlElement) -> bool:
    """An element whose id or one of whose classes names reader comments ("comments",
    "comment-list", "disqus_thread"), not one that merely mentions them ("comment-count")."""
    names = (element.get("class") or "").split() + [element.get("id") or ""]
    return any(_COMMENT_SECTION.fullmatch(name) for name in names)


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
        if not (
            _MAY_NAME_BYLINE.search(f"{class_} {id_}")
            or tag == "author"
            or "uthor" in itemprop
            or "uthor" in element.get("rel", "")
            or "uthor" in element.get("data-testid", "")
            or "Byl" in element.get("data-component", "")
        ):
            continue
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


def title_without_site(title: str | None, sitename: str | None) -> str | None:
    """The title without the page's own site name: "Headline - Site" and "SITE | Headline" lose
    the part that is the site's name (`sitename`, compared without case, spaces or punctuation,
    "regards.fr" also as "regards"), and what follows it when it comes last ("… | SITE | 02.11.2023")."""
    if not title or not sitename:
        return title
    pieces = _TITLE_PARTS.split(title)  # part, separator, part, …
    names = _name_keys(sitename)
    at = next((i for i, part in enumerate(pieces[::2]) if _key(part) in names), None)
    if at is None or len(pieces) < 3:
        return title
    kept = pieces[: 2 * at - 1] if at > 0 else pieces[2:]
    return "".join(kept).strip() or title


def real_authors(author: str | None, sitename: str | None) -> str | None:
    """The byline's names (trafilatura's "A; B"), without those that name no one: a web address, a
    date or a number, the site's own name, or the newsroom ("La rédaction", "Rédaction Regards")."""
    if not author:
        return None
    site_keys, site_words = _name_keys(sitename or ""), _words(sitename or "")
    names = []
    for name in author.split("; "):
        words = _words(name)
        if _NOT_A_NAME.search(name) or not words or _key(name) in site_keys:
            continue
        newsroom = words & (NEWSROOM_WORDS | site_words)
        if newsroom and words <= NEWSROOM_WORDS | _FUNCTION_WORDS | site_words:
            continue
        names.append(name)
    return "; ".join(names) or None


def _key(text: str) -> str:
    """`text` as names are compared: lower case, without accents, spaces or punctuation."""
    return "".join(c for c in unicodedata.normalize("NFKD", text.casefold()) if c.isalnum())


def _name_keys(sitename: str) -> set[str]:
    """The site's name as compared: whole, and without its domain suffix ("regards.fr": "regards")."""
    keys = {_key(sitename), _key(sitename.rsplit(".", 1)[0])} if sitename else set()
    return keys - {""}


def _words(text: str) -> set[str]:
    return {word for word in re.split(r"[\W_]+", text.casefold()) if word}


def _sitename(name: str | None, url: str | None) -> str | None:
    """The site's name as trafilatura writes it (no "@", capitalised), else the URL's host."""
    if name:
        name = name.lstrip("@")
        return name.title() if name and "." not in name and not name[0].isupper() else name
    match = META_URL.match(url) if url else None
    return match[1] if match else None
