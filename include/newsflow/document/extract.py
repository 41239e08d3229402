"""HTML or plain text → article body and metadata (trafilatura for HTML), then text cleaning."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import date

import trafilatura
from lxml.etree import ElementDefaultClassLookup
from lxml.html import HtmlComment, HtmlElement, HtmlEntity, HtmlProcessingInstruction
from lxml.html import fromstring as parse_html

from newsflow.document.captions import remove_repeated_captions
from newsflow.document.dates import find_published_date
from newsflow.document.dom import (
    MIN_LINK_DENSITY,
    drop_code,
    link_density,
    prune_boxes,
    prune_teasers,
    text_of,
    unwrap_embedded_posts,
)
from newsflow.document.metadata import read_metadata
from newsflow.document.page import detect_html_language
from newsflow.document.page_type import ARTICLE, classify_page, read_page_signals
from newsflow.document.teaser_lists import remove_teaser_lines, teaser_keys
from newsflow.schema import RemovedSpan
from newsflow.upstream.extraction import (
    DOCTYPE_TAG,
    FAULTY_HTML,
    HTML_PARSER,
    INVALID_XML_CHARS,
    PassOptions,
    fast_pass_text,
    is_dubious_html,
    pass_options,
)
from newsflow.upstream.xpaths import python_selections

LOGGER = logging.getLogger(__name__)

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
FURTHER_PASSES: tuple[tuple[str, PassOptions], ...] = (
    ("trafilatura", {}),
    ("trafilatura_recall", {"recall": True}),
)
# How much of a prose block's start or end identifies it in the extracted text (the extractor
# may have split or re-spaced the block).
BLOCK_KEY_CHARS = 60
# A prose block of the article is a sentence or more, not a date line, a byline or a label.
MIN_PROSE_BLOCK_CHARS = 80
# Start tags a page may have. The largest of the 591 evaluation pages has 10,106 elements; each
# thousand costs the passes ~0.15 s and ~2 MB, so a page of 1.2 M empty paragraphs (under the 5 MB
# body limit) would take minutes and gigabytes. Counted in the raw HTML, before any parse.
MAX_ELEMENTS = 50_000
_START_TAG = re.compile(r"<[A-Za-z]")
# The characters XML forbids (which libxml2 refuses), as UTF-8: the controls are one byte each, and
# bytes.translate finds them in a 150 KB page in half the time trafilatura's regex takes to scan it.
_XML_FORBIDDEN_CONTROLS = bytes(c for c in range(0x20) if c not in (0x09, 0x0A, 0x0D))
_XML_FORBIDDEN_NONCHARACTERS = ("\ufffe".encode(), "\uffff".encode())


# trafilatura's HTML parser with one change. lxml.html picks the Python class of every element it
# hands out with a Python callback (forms, inputs and labels get classes of their own), and every
# pass hands out thousands; this lookup, in C, makes each one a plain HtmlElement, all trafilatura
# and newsflow use: ~4 % of extraction time. The copies trafilatura makes of the tree keep it.
_HTML_PARSER = HTML_PARSER.copy()
_HTML_PARSER.set_element_class_lookup(
    ElementDefaultClassLookup(
        element=HtmlElement, comment=HtmlComment, pi=HtmlProcessingInstruction, entity=HtmlEntity
    )
)


# A line or a block that ends a sentence.
_SENTENCE_END = re.compile(r"[.!?…]\s*$")
_FIRST_SENTENCE = re.compile(r"^.+?[.!?…](?=\s|$)", re.DOTALL)


class TooLargeError(ValueError):
    """A document past newsflow's bounds: not processed, quarantined with this message as its reason."""


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
    page_type: str = ARTICLE
    page_type_evidence: str | None = None


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
    dropped are accounted for (`account_for_blocks`), and the lines of the page's teaser lists
    (`teaser_keys`, found before pruning) are taken out, and a caption said again
    (`remove_repeated_captions`). The page's kind (`page_type.classify_page`: an article, a
    home or section page, a video…) is judged from the pristine tree's signals and the text.
    `max_date` is the fetch time: no article is published after it. Raises TooLargeError for a
    page of more than MAX_ELEMENTS start tags.
    """
    check_element_count(html)
    html_language = detect_html_language(html)
    tree = parse_page(html)
    if tree is None:
        return Extracted(text="", method="failed", url=url, html_language=html_language)
    max_date = max_date or date.today()
    metadata = read_metadata(tree, url, max_date)
    signals = read_page_signals(tree, metadata.url or url)
    drop_code(tree)
    unwrap_embedded_posts(tree)
    teasers = teaser_keys(tree, metadata.url or url, metadata.title)
    removed = [RemovedSpan(f"dom.teaser_{kind}", text) for kind, text in prune_teasers(tree)]
    removed += [RemovedSpan(rule, text) for rule, text in prune_boxes(tree)]
    blocks = article_blocks(tree, metadata.title)
    with python_selections():
        method, text = _run_passes(tree, url)
    if not text:
        return Extracted(text="", method="failed", url=url, html_language=html_language)
    text, dropped = account_for_blocks(text, blocks)
    text, teaser_lines = remove_teaser_lines(text, teasers)
    text, repeated_captions = remove_repeated_captions(text, tree)
    removed += dropped + teaser_lines + repeated_captions
    published_date, date_source = find_published_date(
        tree, metadata.url or url, max_date, metadata.date, text, html_language
    )
    page_type = classify_page(signals, text, metadata.url or url)
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
        page_type=page_type.kind,
        page_type_evidence=page_type.evidence,
    )


def check_element_count(html: str) -> None:
    """Raise TooLargeError (`too_many_elements`) when the page has more than MAX_ELEMENTS start
    tags, before it is parsed. Tags in scripts and comments count too: no real page comes near."""
    if html.count("<") <= MAX_ELEMENTS:  # the quick, usual answer
        return
    tags = sum(1 for _ in _START_TAG.finditer(html))
    if tags > MAX_ELEMENTS:
        raise TooLargeError(f"too_many_elements: {tags:,} start tags, over the limit of {MAX_ELEMENTS:,}")


def parse_page(html: str) -> HtmlElement | None:
    """The page's tree, None when it is not HTML: read as `trafilatura.utils.load_html` reads a
    string (the same repairs, the same rejection of what is not HTML), with _HTML_PARSER."""
    beginning = html[:50].lower()
    html = repair_html(html, beginning)
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


def repair_html(html: str, beginning: str) -> str:
    """`html` with trafilatura's repairs (`trafilatura.utils.repair_faulty_html`): without the
    characters XML forbids, without a slash in the doctype, with a self-closing <html/> in its
    first lines opened. The forbidden characters are looked for on the UTF-8 bytes, and the regex
    that removes them runs only on the rare page that holds one. `beginning`: its first 50
    characters, lower-cased."""
    encoded = html.encode("utf-8", "surrogatepass")
    if len(encoded.translate(None, _XML_FORBIDDEN_CONTROLS)) < len(encoded) or any(
        character in encoded for character in _XML_FORBIDDEN_NONCHARACTERS
    ):
        html = INVALID_XML_CHARS.sub("", html)
    if "doctype" in beginning:
        first_line, _, rest = html.partition("\n")
        html = DOCTYPE_TAG.sub("", first_line, count=1) + "\n" + rest
    for line in html[:4096].splitlines()[:4]:
        if "<html" in line and line.endswith("/>"):
            return FAULTY_HTML.sub(r"\1>", html, count=1)
    return html


def _run_passes(tree: HtmlElement, url: str | None) -> tuple[str, str]:
    """(method, text) of the trafilatura passes on the pruned `tree`: the fast pass, then the
    FURTHER_PASSES while the last looks short (under MIN_EXTRACTED_CHARS, or under
    MIN_PARAGRAPH_SHARE of the page's paragraph text), or recall mode alone when the fast pass
    covers under MIN_PAGE_SHARE of the page's text; trafilatura's baseline as the last resort."""
    paragraph_chars = sum(len(p.text_content()) for p in tree.iter("p"))
    enough_chars = max(MIN_EXTRACTED_CHARS, MIN_PARAGRAPH_SHARE * paragraph_chars)  # else the next pass
    method, text = FAST_PASS, _fast_pass(tree, url)
    passes = FURTHER_PASSES
    if len(text) >= enough_chars:
        passes = FURTHER_PASSES[-1:] if _covers_little(text, tree.text_content()) else ()
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
    return method, text


def _covers_little(text: str, page_text: str) -> bool:
    """True when `text` is under MIN_PAGE_SHARE of the page's text, spaces squashed; squashing
    only shortens, so the page's raw length settles most pages without it."""
    return len(text) < MIN_PAGE_SHARE * len(page_text) and len(text) < MIN_PAGE_SHARE * len(
        " ".join(page_text.split())
    )


def article_blocks(tree: HtmlElement, title: str | None) -> list[str]:
    """The prose blocks after the headline, in page order: the paragraphs a reader sees as the
    article, to check the extractor's output against. The first may be an <h2> (a standfirst styled
    as a heading); after it only paragraphs count. A block is prose when it ends a sentence, has
    MIN_PROSE_BLOCK_CHARS or more and is mostly not links; reader comments (inside an element
    whose class or id names comments) are not the article. Empty when the page has no <h1>.
    """
    wanted = " ".join(title.split()) if title else None
    headings = list(tree.iter("h1"))
    heading = next((h for h in headings if text_of(h) == wanted), headings[0] if headings else None)
    if heading is None:
        return []
    blocks: list[str] = []
    after_heading = False
    for element in tree.iter("h1", "h2", "p"):
        if element is heading:
            after_heading = True
        elif after_heading and (element.tag == "p" or not blocks):
            text = text_of(element)
            if (
                len(text) >= MIN_PROSE_BLOCK_CHARS
                and _SENTENCE_END.search(text)
                and link_density(element) < MIN_LINK_DENSITY
                and not (element.tag == "p" and _in_comments(element))
            ):
                blocks.append(text)
    return blocks


def _in_comments(element: HtmlElement) -> bool:
    """True inside reader comments: an ancestor whose class or id names them."""
    return any(
        "comment" in (a.get("class") or "") or "comment" in (a.get("id") or "")
        for a in element.iterancestors()
    )


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


def _fast_pass(tree: HtmlElement, url: str | None) -> str:
    """The text of trafilatura's fast pass (`upstream.extraction.fast_pass_text`: its steps with
    one copy of the tree), without its in-call recall retry: extract_html makes that check once, on
    its own tree. `tree` stays as it is."""
    try:
        return fast_pass_text(tree, url)
    except Exception:  # trafilatura raises assorted lxml/ValueError types on broken markup
        LOGGER.warning("trafilatura's fast pass failed on %s", url or "document", exc_info=True)
        return ""


def _bare_extraction(tree: HtmlElement, url: str | None, options: PassOptions) -> str:
    """The text of one trafilatura pass with these `options` (`upstream.extraction.pass_options`):
    trafilatura works on a copy, `tree` stays as it is; metadata was read before."""
    extractor = pass_options(url, options)
    try:
        document = trafilatura.bare_extraction(tree, url=url, options=extractor)
    except Exception:  # same as above
        LOGGER.warning("trafilatura failed on %s (%s)", url or "document", options, exc_info=True)
        return ""
    assert not isinstance(document, dict)  # a dict only when asked for with as_dict=True
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
    removed: list[RemovedSpan] = []
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
