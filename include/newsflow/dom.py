"""DOM work before extraction: pruning teaser/related blocks, and finding the standfirst under the headline."""

from __future__ import annotations

import re

from lxml.html import HtmlElement

# Teaser/related-content labels in French, English, German, Spanish and Italian, at the start of a block.
_TEASER_LABELS = (
    r"(?:"
    r"(?:[àa]\s+)?lire\s+(?:aussi|également|la\s+suite)|voir\s+aussi|sur\s+le\s+même\s+(?:sujet|thème)"
    r"|(?:les\s+)?plus\s+lus|articles?\s+(?:similaires|associés|liés)|[àa]\s+découvrir|dans\s+la\s+même\s+rubrique"
    r"|read\s+(?:more|also|next)|see\s+also|related(?:\s+(?:articles?|stories|content|coverage|posts?|news))?"
    r"|more\s+on\s+this(?:\s+story)?|most\s+(?:popular|read|viewed)|recommended(?:\s+for\s+you)?"
    r"|you\s+(?:may|might)\s+also\s+like"
    r"|lesen\s+sie\s+auch|mehr\s+zum\s+thema|weitere\s+artikel|meistgelesen|das\s+könnte\s+sie\s+auch\s+interessieren"
    r"|lee\s+también|te\s+puede\s+interesar|noticias\s+relacionadas|más\s+leídas|relacionad[oa]s"
    r"|leggi\s+anche|potrebbe\s+interessarti|articoli\s+correlati|i\s+più\s+letti"
    r")(?!\w)"
)
TEASER_LABEL = re.compile(r"^\W*" + _TEASER_LABELS, re.IGNORECASE)
# Anywhere in the page: most pages have no label at all, and need no element-by-element look.
_ANY_TEASER_LABEL = re.compile(r"(?<!\w)" + _TEASER_LABELS, re.IGNORECASE)
# Elements that can hold a teaser block; inline elements are judged through their block.
TEASER_BLOCK_TAGS = (
    "p",
    "div",
    "q",
    "blockquote",
    "section",
    "aside",
    "li",
    "ul",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
)
# A teaser block is a label and a few links: longer blocks that start with a label are prose.
MAX_TEASER_BLOCK_CHARS = 500
# Inside prose, a teaser is a capsule: an inline element with the label and a link, or a label
# element followed by a link. Only the capsule goes; the paragraph around it stays.
TEASER_INLINE_TAGS = ("a", "span", "strong", "b", "em", "i")
# A container whose text is mostly link text, under its label, is a link list.
MIN_LINK_DENSITY = 0.5
# A standfirst (lead under the headline) is a sentence or more, not a date line or a byline.
MIN_STANDFIRST_CHARS = 80
# Text outside links that makes a block prose rather than a teaser list: two sentences or so.
MIN_PROSE_CHARS = 160

_SENTENCE_END = re.compile(r"[.!?…]\s*$")
_LABEL_PUNCTUATION = " :»>|-–—.…"


def prune_teasers(tree: HtmlElement) -> list[tuple[str, str]]:
    """Remove "Lire aussi" / "Related" / "Most read" blocks and capsules from the DOM; return
    (`block` or `inline`, text) of each.

    Decided by text and links, never by a site's class names: a short block that starts with a
    teaser label and holds a link goes; a block that is only a label goes alone, or with its
    container when that is mostly links. Blocks after a bare label stay: on review pages ("A lire
    aussi :" then books with summaries) they are content, and the text cleaner still sees them.
    A sentence that merely starts with a label word ("Related questions remain…") has no link and
    more than the label, so it stays. Inside a longer block (prose), only a capsule glued into it
    goes: an inline element that starts with the label and holds a link, or a label element and
    the link right after it.
    """
    removed: list[tuple[str, str]] = []
    if not _ANY_TEASER_LABEL.search(tree.text_content()):
        return removed
    for element in list(tree.iter(*TEASER_BLOCK_TAGS)):
        if not _attached(element, tree):
            continue
        if not TEASER_LABEL.match(_leading_text(element)):  # cheap test first: most blocks are not teasers
            continue
        text = _text(element)
        label = TEASER_LABEL.match(text)
        if label is None or len(text) > MAX_TEASER_BLOCK_CHARS:
            continue
        if element.xpath(".//a[@href]"):
            if _prose_beside_links(element, label.end()):
                continue  # a capsule glued into a paragraph: the inline pass below takes it alone
            target = element
        elif not text[label.end() :].strip(_LABEL_PUNCTUATION):
            target = _link_list_container(element, tree)
        else:
            continue
        removed.append(("block", _text(target)))
        target.drop_tree()
    for element in list(tree.iter(*TEASER_INLINE_TAGS)):
        if not _attached(element, tree) or not TEASER_LABEL.match(_leading_text(element)):
            continue
        capsule = _capsule(element)
        if capsule:
            removed.append(("inline", " ".join(_text(part) for part in capsule)))
            for part in capsule:
                part.drop_tree()  # its tail, the prose after it, stays
    return removed


def _prose_beside_links(block: HtmlElement, label_end: int) -> bool:
    """True when the block holds a sentence or more of text outside its links, after the label:
    a paragraph with a link glued in, not a teaser block (a label and headlines)."""
    link_chars = sum(len(_text(a)) for a in block.xpath(".//a[@href]"))
    return (
        len(_text(block)) - label_end - link_chars >= MIN_PROSE_CHARS
        and link_density(block) < MIN_LINK_DENSITY
    )


def _capsule(label: HtmlElement) -> list[HtmlElement]:
    """The teaser capsule that starts at this inline element, inside a block with more text than
    it: the element when it holds a link, or it and the link right after it when it is only the label."""
    block = next((a for a in label.iterancestors() if a.tag in TEASER_BLOCK_TAGS), None)
    text = _text(label)
    if block is None or len(text) > MAX_TEASER_BLOCK_CHARS or len(_text(block)) <= len(text):
        return []
    if (label.tag == "a" and label.get("href")) or label.xpath(".//a[@href]"):
        return [label]
    link = label.getnext()
    only_label = not text[TEASER_LABEL.match(text).end() :].strip(_LABEL_PUNCTUATION)
    between = (label.tail or "").strip(_LABEL_PUNCTUATION)
    if only_label and not between and link is not None and link.tag == "a" and link.get("href"):
        return [label, link]
    return []


def find_standfirst(tree: HtmlElement, title: str | None) -> str | None:
    """The lead paragraph printed under the headline, which extractors often skip as page header.

    It is the first prose block (ends a sentence, mostly not links) after the <h1> that carries
    the title, inside the headline's own container.
    """
    if not title:
        return None
    wanted = " ".join(title.split())
    heading = next((h for h in tree.iter("h1") if _text(h) == wanted), None)
    if heading is None:
        return None
    for sibling in heading.itersiblings():
        for block in sibling.iter("p", "div"):
            if block.find(".//p") is not None or block.find(".//div") is not None:
                continue  # judge the innermost blocks only
            text = _text(block)
            if (
                len(text) >= MIN_STANDFIRST_CHARS
                and _SENTENCE_END.search(text)
                and link_density(block) < MIN_LINK_DENSITY
            ):
                return text
    return None


def link_density(block: HtmlElement) -> float:
    """Share of the block's text that sits inside links."""
    text = _text(block)
    link_chars = sum(len(_text(a)) for a in block.xpath(".//a[@href]"))
    return link_chars / len(text) if text else 0.0


def _link_list_container(label: HtmlElement, tree: HtmlElement) -> HtmlElement:
    """The label's parent when it is a small, link-dense block (a titled link list), else the label."""
    parent = label.getparent()
    if parent is None or parent is tree:
        return label
    if len(_text(parent)) <= 4 * MAX_TEASER_BLOCK_CHARS and link_density(parent) >= MIN_LINK_DENSITY:
        return parent
    return label


def _attached(element: HtmlElement, root: HtmlElement) -> bool:
    """False once an ancestor was dropped from the tree."""
    while element is not None and element is not root:
        element = element.getparent()
    return element is root


def _leading_text(element: HtmlElement, chars: int = 80) -> str:
    """The first `chars` or so of the element's text, without walking all of it."""
    parts, length = [], 0
    for piece in element.itertext():
        parts.append(piece)
        length += len(piece)
        if length >= chars:
            break
    return " ".join("".join(parts).split())


def _text(element: HtmlElement) -> str:
    return " ".join(element.text_content().split())
