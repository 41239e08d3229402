"""trafilatura's, htmldate's and dateparser's internals that newsflow's extraction builds on.

newsflow reads a page once and runs trafilatura's passes on its own pruned tree, reads only the
metadata fields it stores, and reads dates in the page's language: each needs a piece of these
libraries that is not their documented API. They are all here, each with why.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from copy import copy
from functools import cache
from typing import TypedDict

import htmldate.extractors
from dateparser import DateDataParser
from dateparser.data import language_order as DATEPARSER_LANGUAGES  # the languages dateparser reads
from htmldate.core import examine_header  # the date of the page's meta tags alone
from htmldate.extractors import extract_url_date  # a date in the URL alone, to label it `url`
from htmldate.utils import Extractor as DateOptions  # the options these two steps take
from lxml.html import HtmlElement
from trafilatura.baseline import baseline
from trafilatura.core import _forum_thread_page  # the fast pass's steps, run with one copy
from trafilatura.htmlprocessing import convert_tags, prune_unwanted_nodes, tree_cleaning
from trafilatura.json_metadata import normalize_authors  # a byline as trafilatura writes it
from trafilatura.main_extractor import extract_content
from trafilatura.metadata import (  # the metadata readers, run only for the fields newsflow stores
    META_URL,  # a URL's host, the site name of last resort
    examine_meta,
    extract_meta_json,
    extract_sitename,
    extract_title,
    extract_url,
)
from trafilatura.settings import Document, Extractor
from trafilatura.utils import (  # load_html's checks and repairs, on a string
    DOCTYPE_TAG,
    FAULTY_HTML,
    HTML_PARSER,  # trafilatura's parser, copied with a faster class lookup
    INVALID_XML_CHARS,
    is_dubious_html,
    trim,
)
from trafilatura.xml import xmltotxt
from trafilatura.xpaths import (
    AUTHOR_DISCARD_XPATHS,  # what the byline search skips
    RAW_TREE_PRUNE_XPATH,
    REMOVE_COMMENTS_AND_LISTS_XPATH,
)

from newsflow.upstream import require

require("trafilatura")
require("htmldate")
require("dateparser")

__all__ = [  # sorted: the names newsflow may take from here
    "AUTHOR_DISCARD_XPATHS",
    "DATEPARSER_LANGUAGES",
    "DOCTYPE_TAG",
    "FAULTY_HTML",
    "HTML_PARSER",
    "INVALID_XML_CHARS",
    "META_URL",
    "DateDataParser",
    "DateOptions",
    "Document",
    "Extractor",
    "PassOptions",
    "examine_header",
    "examine_meta",
    "extract_meta_json",
    "extract_sitename",
    "extract_title",
    "extract_url",
    "extract_url_date",
    "fast_pass_text",
    "htmldate_parser",
    "is_dubious_html",
    "normalize_authors",
    "pass_options",
    "prune_unwanted_nodes",
    "trim",
]

# trafilatura's balanced mode retries in recall mode inside the call when the text covers little of
# the page, measured on a cleaned copy of it (most of the fast pass's time on short pages).
# newsflow makes that check once, on its own tree; the fast pass is asked without it: its `focus`
# is none of trafilatura's three, which every other test of `focus` in trafilatura 2.3.1 reads as
# balanced ("precision" and "recall" are tested by name; only the retry tests "balanced").
# fast_pass_text runs the pass's steps without the retry; tests/test_upstream.py compares it with
# trafilatura's own call with this focus, and fails if extract_html's fast pass retries.
FAST_PASS_FOCUS = "balanced, without the recall retry"


class PassOptions(TypedDict, total=False):
    """The switches of trafilatura's Extractor that pick a pass (the others are pass_options's)."""

    fast: bool
    precision: bool
    recall: bool


def pass_options(url: str | None, options: PassOptions, recall_retry: bool = True) -> Extractor:
    """trafilatura's options for one pass: plain text, no reader comments (skipping them saves the
    comment search too), with `options`; without the in-call recall retry unless `recall_retry`.
    A copy of the pass's options made once, with the page's `url`: building an Extractor reads
    trafilatura's config file settings and formats today's date each time (~1 ms a page)."""
    extractor = copy(_pass_template(tuple(sorted(options.items())), recall_retry))
    extractor.url = url
    extractor.source = url and url.encode("utf-8", "replace").decode("utf-8")  # as Extractor does
    return extractor


@cache
def _pass_template(options: tuple[tuple[str, bool], ...], recall_retry: bool) -> Extractor:
    extractor = Extractor(output_format="python", comments=False, **dict(options))  # type: ignore[arg-type]
    if not recall_retry:
        extractor.focus = FAST_PASS_FOCUS
    return extractor


def fast_pass_text(tree: HtmlElement, url: str | None) -> str:
    """The text `trafilatura.bare_extraction(tree, url=url, options=FAST)` returns, where FAST is
    `pass_options(url, {"fast": True}, recall_retry=False)` ("" where it returns None), with one
    copy of `tree` where it makes three (~0.5 ms each on a Zyte page): one so that `tree` stays as
    it is, one for the cleaning, so that the raw tree stays for the baseline rescue, and the
    cleaned tree's backup, which only the full pass's comparison and reader comments read. Here
    the raw tree is cleaned in place, and copied and pruned again on the rare page short enough
    for the rescue. trafilatura_sequence's and bare_extraction's steps for these options, in their
    order, but two checks that cannot change the text: the options set no MAX_TREE_SIZE, and a
    MIN_OUTPUT_SIZE of 1 only turns an empty text into None. tests/test_upstream.py compares the
    two on every fixture page."""
    options = pass_options(url, {"fast": True}, recall_retry=False)
    try:
        body, text = extract_content(
            convert_tags(tree_cleaning(_raw_tree(tree), options), options, url), options
        )
        if len(text) < options.min_extracted_size:  # the rescue: the baseline of the raw tree
            rescue, rescue_text, rescue_chars = baseline(_raw_tree(tree))
            if rescue_chars > len(text):
                body, text = rescue, rescue_text
    except (TypeError, ValueError):  # what bare_extraction turns into None
        return ""
    return xmltotxt(body, options.formatting)


def _raw_tree(tree: HtmlElement) -> HtmlElement:
    """A copy of `tree` as trafilatura_sequence prunes it first for a pass without reader
    comments: without the raw prune's nodes, and without comment sections and lists unless it is
    a forum thread."""
    raw = prune_unwanted_nodes(copy(tree), RAW_TREE_PRUNE_XPATH)
    if not _forum_thread_page(tree):
        raw = prune_unwanted_nodes(raw, REMOVE_COMMENTS_AND_LISTS_XPATH)
    return raw


@contextmanager
def htmldate_parser(factory: Callable[[], DateDataParser]) -> Iterator[None]:
    """While inside, htmldate asks `factory` for the dateparser it hands the date strings its own
    patterns cannot read (its module-level `get_external_parser`; its own builds one parser for
    every language, ~1.6 s on first use in a process)."""
    previous = htmldate.extractors.get_external_parser
    htmldate.extractors.get_external_parser = factory  # type: ignore[assignment]  # htmldate only calls it; its lru_cache type is incidental
    try:
        yield
    finally:
        htmldate.extractors.get_external_parser = previous
