"""Teaser lists found by their structure, labelled or not: a run of sibling blocks, each a link to
another page of the same site with at most a short summary beside it (a thumbnail, a date)."""

from __future__ import annotations

import re
from collections import Counter
from functools import cache
from urllib.parse import urlsplit

from lxml.html import HtmlElement
from tld import get_fld

from newsflow.document.clean import normalise_line
from newsflow.document.dom import text_of
from newsflow.schema import RemovedSpan

# A headline has four words or more; a section, a tag or a person's name in a link has fewer.
MIN_HEADLINE_WORDS = 4
# Sibling cards that make a list: two may be a story and its follow-up cited side by side.
MIN_CARDS = 3
# A card is a headline and a line or two of summary, date or kicker; more text is prose.
MAX_CARD_CHARS = 400
# Text before the headline inside a card: a date or a kicker, not the start of a sentence.
MAX_LEAD_CHARS = 40

# A piece of a card (a kicker, a date) shorter than this is removed only right after another
# teaser line: alone, a line such as "Politique" or "5 mars" may as well be the article's.
MIN_PART_CHARS = 20
# How much of the page's title (normalised) identifies it in a card that shows this very story.
TITLE_KEY_CHARS = 30
TEASER_LIST_RULE = "dom.teaser_list"
# Text right before a link that runs into it, or right after it that goes on from it (a word, not
# a date or a dash): a sentence cites the link, it does not list it.
_RUNS_INTO_LINK = re.compile(r"[^\W\d_][’']?,?\s*$")
_RUNS_ON_FROM_LINK = re.compile(r"\s*,?\s*[^\W\d_]")
# An address with a host (its group), and one of a scheme without a host (mailto:, javascript:).
_ABSOLUTE_ADDRESS = re.compile(r"^(?:[a-zA-Z][\w+.-]*:)?//(?:[^/?#@]*@)?([^/?#:]*)")
_OTHER_SCHEME = re.compile(r"^[a-zA-Z][\w+.-]*:")


def teaser_keys(tree: HtmlElement, url: str | None, title: str | None) -> frozenset[str]:
    """The normalised text (`normalise_line`) of every card of the page's teaser lists, and of
    each element inside one: the lines an extractor makes of a card (headline, summary, date).

    A teaser list is a run of MIN_CARDS or more sibling cards of one tag, with only textless
    elements between them. A card is the largest element around a headline link (MIN_HEADLINE_WORDS
    words or more, to another page of the page's own site) that holds no other headline link,
    with MAX_CARD_CHARS of text at most, the headline within its first MAX_LEAD_CHARS. A link that
    a sentence runs into (a word or a comma right before it) is cited by prose: paragraphs that
    each cite a story are never a list. Decided by markup and links, never by labels or a site's
    class names.
    """
    address = urlsplit(url) if url else None
    page = (url.split("#")[0], address.path, _site(address.hostname)) if url and address else None
    headlines = [a for a in tree.iter("a") if _is_headline_link(a, page)]
    headlines_inside = Counter(ancestor for a in headlines for ancestor in a.iterancestors())
    around = {card: a for a in headlines if (card := _card(a, headlines_inside)) is not None}
    siblings = Counter((card.getparent(), card.tag) for card in around)  # texts read only where a run may be
    cards = {
        card: a
        for card, a in around.items()
        if siblings[card.getparent(), card.tag] >= MIN_CARDS and _short_and_headed(card, a)
    }
    own_title = normalise_line(title or "")
    keys: set[str] = set()
    for card in (card for run in _runs(list(cards)) for card in run):
        card_key = normalise_line(text_of(card))
        if own_title and (
            normalise_line(text_of(cards[card])) in own_title or own_title[:TITLE_KEY_CHARS] in card_key
        ):
            continue  # this very story, linked under another address: its title and standfirst stay
        # an extractor puts a space between the card's blocks (headline, summary); text_content does not
        keys.update((card_key, normalise_line(" ".join(card.itertext()))))
        keys.update(map(normalise_line, {text_of(part) for part in card.iter() if isinstance(part.tag, str)}))
    keys.discard("")
    return frozenset(keys)


def remove_teaser_lines(text: str, keys: frozenset[str]) -> tuple[str, list[RemovedSpan]]:
    """The extracted `text` without the lines that are a teaser card or part of one (`keys`, from
    `teaser_keys`), each in a `dom.teaser_list` span. Removed from the text rather than the tree:
    dropping the cards before extraction changes which box trafilatura takes for the article."""
    kept, removed = [], []
    after_teaser = False  # the last non-blank line was a teaser's
    for line in text.split("\n"):
        if not line.strip():
            kept.append(line)
            continue
        key = normalise_line(line)
        if key in keys and (len(key) >= MIN_PART_CHARS or after_teaser):
            removed.append(RemovedSpan(TEASER_LIST_RULE, line.strip()))
            after_teaser = True
        else:
            kept.append(line)
            after_teaser = False
    return "\n".join(kept), removed


def _is_headline_link(link: HtmlElement, page: tuple[str, str, str | None] | None) -> bool:
    """True for a link whose text is a headline and whose target is another page of the page's site
    (`page`: its address without fragment, its path and its site; any relative link when the
    page's address is unknown). Addresses are read with regular expressions, not urllib: a page
    has hundreds of links."""
    href = (link.get("href") or "").strip()
    if not href or href.startswith("#") or len(link.text_content().split()) < MIN_HEADLINE_WORDS:
        return False
    target = href.split("#")[0]
    absolute = _ABSOLUTE_ADDRESS.match(href)
    if absolute is None:
        return not _OTHER_SCHEME.match(href) and (page is None or target != page[1])
    return page is not None and _site(absolute.group(1).lower()) == page[2] and target != page[0]


@cache
def _site(host: str | None) -> str | None:
    """The registered domain of a host ("lemonde.fr" for www. and abonnes.), else the host itself;
    cached: a page links to a few hosts hundreds of times."""
    return get_fld(f"http://{host}", fail_silently=True) or host if host else None


def _card(link: HtmlElement, headlines_inside: Counter[HtmlElement]) -> HtmlElement | None:
    """The largest ancestor of a headline link holding no other headline link; None for a link
    inside a sentence."""
    parent = link.getparent()
    previous = link.getprevious()
    before = (previous.tail if previous is not None else parent.text if parent is not None else "") or ""
    if _RUNS_INTO_LINK.search(before) or _RUNS_ON_FROM_LINK.match(link.tail or ""):
        return None
    card = link
    for ancestor in link.iterancestors():
        if headlines_inside[ancestor] > 1 or ancestor.getparent() is None:
            break
        card = ancestor
    return card


def _short_and_headed(card: HtmlElement, link: HtmlElement) -> bool:
    """True for a card of MAX_CARD_CHARS at most whose headline link comes within MAX_LEAD_CHARS."""
    text = text_of(card)
    return len(text) <= MAX_CARD_CHARS and text.find(text_of(link)) <= MAX_LEAD_CHARS


def _runs(cards: list[HtmlElement]) -> list[list[HtmlElement]]:
    """The runs of MIN_CARDS or more sibling cards of one tag, with nothing but textless elements
    (an image, an ad slot) between them."""
    is_card = set(cards)
    runs: list[list[HtmlElement]] = []
    for parent in dict.fromkeys(card.getparent() for card in cards):
        run: list[HtmlElement] = []
        for child in parent:
            if child in is_card and (not run or child.tag == run[0].tag):
                run.append(child)
                continue
            if not isinstance(child.tag, str) or not text_of(child):
                continue  # a comment, an image, an empty slot between cards
            if len(run) >= MIN_CARDS:
                runs.append(run)
            run = [child] if child in is_card else []
        if len(run) >= MIN_CARDS:
            runs.append(run)
    return runs
