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
from trafilatura.htmlprocessing import prune_unwanted_nodes  # the byline's skipped sections
from trafilatura.json_metadata import normalize_authors  # a byline as trafilatura writes it
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
from trafilatura.xpaths import AUTHOR_DISCARD_XPATHS  # what the byline search skips

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
    "pass_options",
    "htmldate_parser",
    "is_dubious_html",
    "normalize_authors",
    "prune_unwanted_nodes",
    "trim",
]

# trafilatura's balanced mode retries in recall mode inside the call when the text covers little of
# the page, measured on a cleaned copy of it (most of the fast pass's time on short pages).
# newsflow makes that check once, on its own tree; the fast pass is asked without it: its `focus`
# is none of trafilatura's three, which every other test of `focus` in trafilatura 2.3.1 reads as
# balanced ("precision" and "recall" are tested by name; only the retry tests "balanced").
# tests/test_upstream.py fails if the retry comes back.
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
