"""Article links out of RSS/Atom feeds (feedparser) and XML sitemaps, including Google News sitemaps."""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from datetime import date

import feedparser
from lxml import etree

from newsflow.document.page import parse_published_date

# Hostile or broken XML must not read local files or the network (XXE), nor expand entity bombs.
_XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, recover=False)


class FeedError(ValueError):
    """A feed or sitemap that cannot be parsed."""


@dataclass(frozen=True, slots=True)
class Link:
    """An article URL, and the day the feed or sitemap says it last changed (a hint, not truth)."""

    url: str
    updated: date | None = None


def parse_feed(body: bytes) -> list[Link]:
    """Entries of an RSS 2.0 or Atom feed, in feed order; FeedError when it is not a feed."""
    parsed = feedparser.parse(body)
    if parsed.bozo and not parsed.entries:
        raise FeedError(f"malformed feed: {parsed.get('bozo_exception')}")
    if not parsed.version and not parsed.entries:
        raise FeedError("not an RSS or Atom feed")
    links = []
    for entry in parsed.entries:
        url = entry.get("link")
        if not url:
            continue
        stamp = entry.get("updated_parsed") or entry.get("published_parsed")
        links.append(Link(url, date(stamp.tm_year, stamp.tm_mon, stamp.tm_mday) if stamp else None))
    return links


def parse_sitemap(body: bytes) -> tuple[list[Link], list[str]]:
    """(page links, child sitemap URLs) of a urlset or a sitemap index; gzip is undone first."""
    if body[:2] == b"\x1f\x8b":
        try:
            body = gzip.decompress(body)
        except OSError as exc:
            raise FeedError(f"bad gzip sitemap: {exc}") from None
    try:
        root = etree.fromstring(body, _XML_PARSER)
    except etree.XMLSyntaxError as exc:
        raise FeedError(f"malformed sitemap: {exc}") from None
    kind = etree.QName(root).localname
    if kind == "sitemapindex":
        return [], [loc for loc in _texts(root, "sitemap", "loc") if loc]
    if kind != "urlset":
        raise FeedError(f"not a sitemap: root element <{kind}>")
    links = []
    for url in _children(root, "url"):
        loc = _first_text(url, "loc")
        if not loc:
            continue
        # <lastmod>, else a Google News sitemap's <news:publication_date>.
        updated = _first_text(url, "lastmod") or _first_text(url, "publication_date")
        links.append(Link(loc, parse_published_date(updated)))
    return links, []


def _children(element: etree._Element, name: str) -> list[etree._Element]:
    return [child for child in element if isinstance(child.tag, str) and etree.QName(child).localname == name]


def _first_text(element: etree._Element, name: str) -> str | None:
    for node in element.iter():
        if (
            isinstance(node.tag, str)
            and etree.QName(node).localname == name
            and node.text
            and node.text.strip()
        ):
            text: str = node.text.strip()
            return text
    return None


def _texts(root: etree._Element, parent: str, child: str) -> list[str | None]:
    return [_first_text(node, child) for node in _children(root, parent)]
