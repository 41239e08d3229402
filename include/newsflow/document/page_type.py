"""Whether a page is an article: its kind (article, home, section, video, audio, gallery or other)
from what the page says of itself (schema.org types, og:type), how it is built (linked text,
linked headlines), how much prose its extracted text holds, and the shape of its URL."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

from lxml.etree import XPath
from lxml.html import HtmlElement

from newsflow.document.tree import set_aside

ARTICLE = "article"
HOME, SECTION, VIDEO, AUDIO, GALLERY, OTHER = "home", "section", "video", "audio", "gallery", "other"
KINDS = (ARTICLE, HOME, SECTION, VIDEO, AUDIO, GALLERY, OTHER)

# schema.org types a page declares itself as (JSON-LD @type, microdata itemtype) that make it an
# article, and those that name another kind.
ARTICLE_TYPES = frozenset(
    [
        "Article",
        "NewsArticle",
        "AnalysisNewsArticle",
        "AskPublicRecordsNewsArticle",
        "BackgroundNewsArticle",
        "OpinionNewsArticle",
        "ReportageNewsArticle",
        "ReviewNewsArticle",
        "BlogPosting",
        "LiveBlogPosting",
        "Report",
        "ScholarlyArticle",
        "TechArticle",
        "SatiricalArticle",
        "Review",
        "Recipe",
        "HowTo",
    ]
)
DECLARED_KINDS = {
    **dict.fromkeys(("CollectionPage", "SearchResultsPage"), SECTION),
    **dict.fromkeys(("VideoObject", "VideoGallery", "TVEpisode", "Clip"), VIDEO),
    **dict.fromkeys(("PodcastEpisode", "PodcastSeries", "RadioEpisode", "AudioObject", "MusicAlbum"), AUDIO),
    **dict.fromkeys(("ImageGallery", "MediaGallery"), GALLERY),
    **dict.fromkeys(("ProfilePage", "Product", "LocalBusiness", "Movie", "MusicGroup", "MusicEvent"), OTHER),
    **dict.fromkeys(("SocialMediaPosting", "DiscussionForumPosting"), OTHER),  # posts, not articles
}
# Words of an og:type value ("video.other", "music.song", "ivooxaudiokiosko:audio") that name a
# kind; "website" and "article" name none (many sites declare one of them on every page).
OG_KINDS = {
    **dict.fromkeys(("video", "tv_show"), VIDEO),
    **dict.fromkeys(("music", "audio", "song", "album", "podcast", "radio_station"), AUDIO),
    **dict.fromkeys(("photo", "image", "gallery"), GALLERY),
    **dict.fromkeys(("profile", "product", "book", "object", "company", "business", "place"), OTHER),
}
# Which kind counts when a page declares several (a podcast's page that also declares its
# network's profile is a podcast's).
_KIND_ORDER = (AUDIO, VIDEO, GALLERY, SECTION, OTHER)
_OG_WORD = re.compile(r"[.:]")
# URL path words that name a kind of page.
_URL_KINDS = (
    (re.compile(r"/(?:videos?|vid[eé]os?|watch)(?:/|$)", re.IGNORECASE), VIDEO),
    (re.compile(r"/(?:podcasts?|episodes?|track|album)(?:/|$)", re.IGNORECASE), AUDIO),
    (re.compile(r"/(?:galler(?:y|ies)|galerie|diaporamas?|slideshow)(?:/|$)", re.IGNORECASE), GALLERY),
    (
        re.compile(
            r"/(?:tags?|topics?|themen|categor(?:y|ies)|cat[eé]gories|rubriques?|sections?|authors?"
            r"|auteurs?|autoren|archives?|search|recherche|suche|page/\d+)(?:/|$)",
            re.IGNORECASE,
        ),
        SECTION,
    ),
    (
        re.compile(
            r"/(?:privacy|privacy-policy|terms|terms-and-conditions|tos|impressum|imprint|contact|login"
            r"|faq|datenschutz|cookies?(?:-policy)?|mentions-legales|about|about-us|uber-uns|ueber-uns"
            r"|company|dp|gp/product|products?|produkte?)(?:/|\.html?|$)"
            r"|[/-](?:privacy-policy|terms-of-use|terms-of-service|impressum)(?:/|\.html?|$)",
            re.IGNORECASE,
        ),
        OTHER,
    ),
)

# How a page is judged. Chosen on half A of bench/page_types.py's pages (bench/data/page_types and
# ../shared/eval, split by a hash of their names), half B held out; re-run it after a change.
# A page that declares an article type holds this much prose at
# least (characters of prose lines; a player or stub page declaring Article holds less)...
MIN_DECLARED_ARTICLE_PROSE_CHARS = 300
# ...any other, as much as validation asks of an article's text (Settings.min_text_chars): a short
# brief is an article (400 undeclared and 300 with og:type=article took 5 more articles of the
# eval pages for non-articles, to catch 3 more non-articles, and quarantined short test pages)...
MIN_ARTICLE_PROSE_CHARS = 200
# ...and one that declares a media, list or record type is an article only with this much prose
# (a radio episode with its transcript, a video with its story written out).
MIN_OVERRIDING_PROSE_CHARS = 1000
# A page built as a list: this share of its text is link text, with this many linked headlines
# (teasers), is a list of other pages unless its own prose outweighs its teasers (this much prose
# each). Articles carry 30 to 50 linked headlines in menus and related blocks, so the share and
# the prose decide, not the count alone.
MIN_LIST_LINKED_SHARE = 0.45
MIN_LIST_TEASERS = 8
MIN_PROSE_PER_TEASER = 100
# A prose line: this long with a sentence's end in it (a menu, a label or a headline has none),
# or MIN_UNMARKED_PROSE_LINE_CHARS long without; scripts written without spaces (Chinese,
# Japanese, Thai) say as much in fewer characters.
MIN_PROSE_LINE_CHARS = 80
MIN_UNSPACED_PROSE_LINE_CHARS = 30
MIN_UNMARKED_PROSE_LINE_CHARS = 200
_SENTENCE_END = re.compile(r"[.!?…。！？।။؟](?:[\s\"”’»)」』]|$)")
# Meta tags that announce a player (twitter:card announces one with the content "player").
_PLAYER_META = {"og:audio": AUDIO, "og:video": VIDEO, "og:video:url": VIDEO, "og:video:secure_url": VIDEO}
# The elements read_page_signals reads one by one (the others say nothing of a page's kind), the
# text a reader does not see, the text of links (all of it, collected in C) and the microdata items
# that are no property of another.
_SIGNAL_TAGS = ("meta", "audio", "video", "script", "h1", "h2", "h3", "h4", "h5")
_HIDDEN_TAGS = ("script", "style", "noscript", "template")
_LINK_TEXT = XPath("//a//text()", smart_strings=False)
# Reached from the attributes: a third faster than testing every element for them.
_TOP_LEVEL_MICRODATA = XPath("//@itemscope/parent::*[not(@itemprop)]")
# A linked heading is a teaser when its link text is a headline, not a "More" label.
MIN_TEASER_HEADLINE_CHARS = 15


@dataclass(frozen=True, slots=True)
class PageSignals:
    """What a page's markup says of its kind, read once from the pristine tree."""

    declared_types: frozenset[str]  # schema.org types of the page's top-level JSON-LD and microdata items
    og_type: str | None
    linked_share: float  # share of the visible text that is link text
    teasers: int  # headings that are (or hold) a link with a headline
    url_kind: str | None  # the kind the URL's shape names, if any
    player: str | None  # AUDIO or VIDEO when the page holds a player (<audio>, <video>, og:audio...)


@dataclass(frozen=True, slots=True)
class PageType:
    """A page's kind and the signals that decided it, as "og:type=website, 78% linked text"."""

    kind: str  # one of KINDS
    evidence: str

    @property
    def is_article(self) -> bool:
        return self.kind == ARTICLE


def read_page_signals(tree: HtmlElement, url: str | None) -> PageSignals:
    """The page-kind signals of `tree` in one pass, read before any pruning (teasers are evidence)."""
    og_type: str | None = None
    players: set[str] = set()
    types: set[str] = set()
    teasers = 0
    visible = _visible_solid_chars(tree)
    linked = _solid_len("".join(_LINK_TEXT(tree)))
    for element in tree.iter(*_SIGNAL_TAGS):  # the tags that say something, found in C
        tag = element.tag
        if tag == "meta":
            name = element.get("property") or element.get("name") or ""
            content = (element.get("content") or "").strip().lower()
            og_type = content or None if name == "og:type" and og_type is None else og_type
            if name in _PLAYER_META or (name == "twitter:card" and content == "player"):
                players.add(_PLAYER_META.get(name, VIDEO))
        elif tag in ("audio", "video"):
            players.add(AUDIO if tag == "audio" else VIDEO)
        elif tag == "script":
            if (element.get("type") or "").strip().lower() == "application/ld+json":
                types.update(_json_ld_types(element.text or ""))
        else:
            teasers += _is_teaser(element)
    for item in _TOP_LEVEL_MICRODATA(tree):
        types.update(_microdata_types(item.get("itemtype") or ""))
    return PageSignals(
        declared_types=frozenset(types),
        og_type=og_type,
        linked_share=min(1.0, linked / visible) if visible > 0 else 0.0,
        teasers=teasers,
        url_kind=url_kind(url),
        player=AUDIO if AUDIO in players else VIDEO if players else None,
    )


def classify_page(signals: PageSignals, text: str, url: str | None) -> PageType:
    """The page's kind, from its `signals` and its extracted `text`, with the evidence that decided.

    The first rule that holds decides: a page that declares an article type (schema.org) with
    MIN_DECLARED_ARTICLE_PROSE_CHARS of prose is an article; one that declares another kind
    (schema.org, og:type) is of that kind (a media page that says og:type=article and holds
    MIN_OVERRIDING_PROSE_CHARS of prose goes on); a site's root is its home, and a URL that names
    a legal, contact, about or product page is OTHER; a page with a player, or whose URL names a
    media or list kind, is of that kind unless it says og:type=article and holds
    MIN_OVERRIDING_PROSE_CHARS of prose; a page built as a list (MIN_LIST_LINKED_SHARE of its
    text linked, MIN_LIST_TEASERS linked headlines or more) with under MIN_PROSE_PER_TEASER of
    prose per teaser is a section; a page with less than MIN_ARTICLE_PROSE_CHARS of prose is a
    section when it holds MIN_LIST_TEASERS linked headlines (their summaries are not its prose),
    else OTHER; the rest are articles.
    `url` is the page's address as fetched (the signals' url_kind was read from it).
    """
    prose = prose_chars(text)
    evidence = _evidence(signals, prose)
    if signals.declared_types & ARTICLE_TYPES and prose >= MIN_DECLARED_ARTICLE_PROSE_CHARS:
        return PageType(ARTICLE, evidence)
    says_article = signals.og_type == ARTICLE and prose >= MIN_OVERRIDING_PROSE_CHARS
    declared = declared_kind(signals)
    if declared is not None and not (says_article and declared in (AUDIO, VIDEO, GALLERY)):
        return PageType(declared, evidence)
    if signals.url_kind is not None and signals.url_kind in (HOME, OTHER):
        return PageType(signals.url_kind, evidence)
    named = signals.url_kind or signals.player
    if named is not None and not says_article and prose < MIN_OVERRIDING_PROSE_CHARS:
        return PageType(named, evidence)
    is_list = signals.linked_share >= MIN_LIST_LINKED_SHARE and signals.teasers >= MIN_LIST_TEASERS
    if is_list and prose < MIN_PROSE_PER_TEASER * signals.teasers:
        return PageType(SECTION, evidence)
    if prose < MIN_ARTICLE_PROSE_CHARS:
        return PageType(SECTION if signals.teasers >= MIN_LIST_TEASERS else OTHER, evidence)
    return PageType(ARTICLE, evidence)


def declared_kind(signals: PageSignals) -> str | None:
    """The kind, other than an article, that the page declares itself as (schema.org, og:type)."""
    kinds = {DECLARED_KINDS[t] for t in signals.declared_types if t in DECLARED_KINDS}
    kinds.update(OG_KINDS[word] for word in _OG_WORD.split(signals.og_type or "") if word in OG_KINDS)
    return next((kind for kind in _KIND_ORDER if kind in kinds), None)


def prose_chars(text: str) -> int:
    """Characters of `text` in prose lines: long lines that hold a sentence's end (menus, labels
    and headlines do not), or longer ones still (scripts without such marks)."""
    total = 0
    for line in text.splitlines():
        line = line.strip()
        shortest = MIN_UNSPACED_PROSE_LINE_CHARS if line.count(" ") * 20 < len(line) else MIN_PROSE_LINE_CHARS
        if len(line) >= MIN_UNMARKED_PROSE_LINE_CHARS or (
            len(line) >= shortest and _SENTENCE_END.search(line)
        ):
            total += len(line)
    return total


def url_kind(url: str | None) -> str | None:
    """The kind of page a URL's shape names: HOME for a site's root, else a path word such as
    /video/, /tag/ or /privacy."""
    if not url:
        return None
    parts = urlsplit(url)
    path = parts.path
    if path.strip("/").lower() in ("", "index.html", "index.php", "index.htm", "home") and not parts.query:
        return HOME
    return next((kind for pattern, kind in _URL_KINDS if pattern.search(path)), None)


def _evidence(signals: PageSignals, prose: int) -> str:
    """The signals as a short line: the declared types that count, structure, prose, URL, player."""
    counted = sorted(t for t in signals.declared_types if t in ARTICLE_TYPES or t in DECLARED_KINDS)
    facts = [
        f"og:type={signals.og_type or 'none'}",
        f"schema.org={','.join(counted) or 'none'}",
        f"{signals.linked_share:.0%} linked text",
        f"{signals.teasers} teasers",
        f"{prose} chars of prose",
    ]
    facts += [f"url says {signals.url_kind}"] if signals.url_kind else []
    facts += [f"{signals.player} player"] if signals.player else []
    return ", ".join(facts)


def _json_ld_types(source: str) -> Iterator[str]:
    """The @type of each top-level item of a JSON-LD script (and of each item of an @graph);
    unreadable JSON says nothing."""
    try:
        data = json.loads(source)
    except (ValueError, RecursionError):  # broken or hostile JSON says nothing
        return
    for item in data if isinstance(data, list) else [data]:
        if isinstance(item, dict):
            graph = item.get("@graph")
            for node in graph if isinstance(graph, list) else [item]:
                if isinstance(node, dict):
                    yield from _type_names(node.get("@type"))


def _microdata_types(itemtype: str) -> Iterator[str]:
    for name in itemtype.split():
        yield name.rstrip("/").rsplit("/", 1)[-1]


def _type_names(value: object) -> Iterator[str]:
    for name in value if isinstance(value, list) else [value]:
        if isinstance(name, str):
            yield name.rsplit("/", 1)[-1]


def _visible_solid_chars(tree: HtmlElement) -> int:
    """The characters, spaces apart, of the text a reader sees: with the hidden elements (scripts,
    styles…) set aside while the tree's text is read, since they hold most of a page's characters."""
    with set_aside(list(tree.iter(*_HIDDEN_TAGS))) as hidden:
        return _solid_len(tree.text_content()) + sum(_solid_len(element.tail or "") for element in hidden)


def _solid_len(text: str) -> int:
    return len(text) - sum(text.count(space) for space in " \n\t\r\xa0")


def _is_teaser(heading: HtmlElement) -> bool:
    """A heading that is, or holds, a link whose text is a headline."""
    inside_link = any(ancestor.tag == "a" for ancestor in heading.iterancestors())
    links = [heading] if inside_link else list(heading.iter("a"))
    return any(_solid_len(link.text_content()) >= MIN_TEASER_HEADLINE_CHARS for link in links)
