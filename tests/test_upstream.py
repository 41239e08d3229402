"""The contract of newsflow.upstream: what newsflow expects of the upstream internals it uses,
checked against upstream's own public behaviour. After an upgrade of trafilatura, htmldate,
dateparser or Great Expectations, these tests say whether newsflow's use of their internals still
holds (then update `upstream.WRITTEN_AGAINST`)."""

from __future__ import annotations

import gzip
import json
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from copy import deepcopy
from importlib.metadata import version

import pytest
import trafilatura
from lxml.etree import tostring
from lxml.html import HtmlElement
from test_extract import PARAGRAPH, article_tree, story
from trafilatura.htmlprocessing import convert_tags, tree_cleaning
from trafilatura.metadata import extract_author
from trafilatura.settings import Extractor
from trafilatura.utils import load_html
from trafilatura.xpaths import AUTHOR_XPATHS

from newsflow import upstream
from newsflow.document.extract import extract_html, parse_page
from newsflow.document.metadata import byline_candidates
from newsflow.document.page import declared_charset, decode_bytes
from newsflow.upstream import xpaths
from newsflow.upstream.extraction import fast_pass_text, pass_options
from newsflow.upstream.runtime import kill_pool_workers

from conftest import FIXTURES_DIR


def test_the_installed_versions_are_those_the_fence_was_written_against() -> None:
    for distribution, written_against in upstream.WRITTEN_AGAINST.items():
        assert version(distribution) == written_against
        upstream.require(distribution)


def test_another_version_is_refused_with_a_message_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(upstream.WRITTEN_AGAINST, "trafilatura", "0.0.1")
    with pytest.raises(upstream.UpstreamVersionError, match=r"trafilatura 0\.0\.1, but 2\.3\.1 is installed"):
        upstream.require("trafilatura")


@pytest.mark.parametrize(
    ("bylines", "author"),
    [
        # a reader's name in the comments is not the article's byline
        (
            "<div class='comments-list'><span class='author'>Lecteur Anonyme</span></div>"
            "<span class='author'>Claire Martin</span>",
            "Claire Martin",
        ),
        # the date inside the byline is left out of the name
        ("<p class='byline'>Claire Martin <time>12 juin 2024</time> à Paris</p>", "Claire Martin à Paris"),
        # a photographer's credit in a figure is not the byline either
        (
            "<figure><span class='author'>Jean Photo</span></figure>"
            "<div class='author-name'>Claire Martin</div>",
            "Claire Martin",
        ),
    ],
)
def test_the_byline_is_the_one_trafilatura_reads_outside_comments_dates_and_figures(
    bylines: str, author: str
) -> None:
    page = (
        f"<html><body><article><h1>Le budget est voté</h1>{bylines}<p>{PARAGRAPH}</p></article></body></html>"
    )
    assert extract_html(page).author == author == extract_author(load_html(page))


# Elements that name an author in every way one of trafilatura's byline XPaths reads, some on a tag
# only a later XPath accepts, some near misses (a case, a tag, an attribute that none reads).
BYLINE_LIKE_ELEMENTS = """
<author>Rédaction</author>
<a rel="author">Claire Martin</a> <link rel="me"/> <li rel="author">Paul Durand</li>
<span id="author">Anne Roy</span> <strong class="author">Léa Petit</strong> <em class="author">Tom</em>
<p itemprop="author name">Marc Blanc</p> <div itemprop="author">Eve Noir</div>
<div data-testid="AuthorCard">Jo Bleu</div> <a data-testid="AuthorURL">Jo Bleu</a>
<address class="post-authorName">Ida Vert</address> <span class="author-name">Ida Vert</span>
<h3 class="byline">Par Luc Gris</h3> <h4 class="username">lgris</h4> <p class="byl">Luc</p>
<span class="BBL">Luc</span> <span class="Byline">Luc</span> <section class="byline-wrap">Luc</section>
<div id="zuozhe">张三</div> <div class="xiaobian">李四</div> <p class="submitted-by">Rose</p>
<p class="posted-by">Rose</p> <h4 class="journalist-name">Rose</h4> <h5 class="channel-name">Rose</h5>
<div id="post-Author">Max</div> <div data-component="ArticleByline">Max</div>
<span class="screenname">max</span> <span class="staff-writer">Max</span> <b class="AUTHOR">Max</b>
"""


def test_the_byline_candidates_are_those_of_trafilaturas_xpaths() -> None:
    tree = article_tree(BYLINE_LIKE_ELEMENTS)
    found = [[element.text for element in selected] for selected in byline_candidates(tree)]
    assert found == [[element.text for element in expression(tree)] for expression in AUTHOR_XPATHS]
    assert all(found)


ODD_PAGES = {
    "declares its encoding": '<?xml version="1.0" encoding="utf-8"?>\n<html><body><p>Café</p></body></html>',
    "self-closing html tag": '<!DOCTYPE html>\n<html lang="fr"/>\n<body><p>Texte</p></body></html>',
    "slash in the doctype": '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0//EN"/>\n<html><p>Texte</p></html>',
    "control characters": "<html><body><p>Te\x0bxte\x01</p></body></html>",
    "noncharacters": "<html><body><p>Te\ufffexte\uffff</p></body></html>",
    "not html": "juste une ligne de texte",
    "a lone fragment": "<p>court</p>",
}


PAGES_TO_PARSE = ODD_PAGES | {
    path.name: decode_bytes(path.read_bytes(), declared_charset(path.read_bytes()))[0]
    for path in (FIXTURES_DIR / "html").iterdir()
}


@pytest.mark.parametrize("name", PAGES_TO_PARSE)
def test_a_page_parses_to_the_tree_trafilatura_reads(name: str) -> None:
    ours, theirs = parse_page(PAGES_TO_PARSE[name]), load_html(PAGES_TO_PARSE[name])
    assert (ours is None) == (theirs is None)
    assert ours is None or tostring(ours) == tostring(theirs)


def test_every_parsed_element_is_a_plain_html_element() -> None:
    tree = parse_page(
        "<html><body><form><label>Nom<input name=nom></label><select><option>1</option></select>"
        "<textarea></textarea></form><p>Texte</p></body></html>"
    )
    assert {type(element) for element in tree.iter()} == {HtmlElement}


def test_the_fast_pass_leaves_the_recall_retry_to_newsflow() -> None:
    # trafilatura's balanced mode drops a "teaser" box, and retries in recall mode, which keeps it,
    # inside the call; newsflow's fast pass does not retry, so its short text goes to the full pass
    lead = f"<h1>Le chantier</h1><p>{PARAGRAPH} {PARAGRAPH} {PARAGRAPH}</p>"
    teaser = f"<div class='story-teaser'>{story('p', 20)}</div>"
    extracted = extract_html(f"<html><body><main>{lead}{teaser}</main></body></html>")
    assert extracted.method == "trafilatura"
    assert "Phrase 19 du récit" in extracted.text


_FORUM_POSTS = "".join(
    f"<div class='comment'><p>Message {i} de Marie : {PARAGRAPH}</p></div>" for i in range(4)
)
_FORUM_THREAD = (
    "<html><head><script type='application/ld+json'>"
    + json.dumps({"@context": "https://schema.org", "@type": "DiscussionForumPosting", "headline": "Fil"})
    + f"</script></head><body><h1>Fil</h1><p>Question : {PARAGRAPH}</p>"
    f"<div class='comments'>{_FORUM_POSTS}</div></body></html>"
)
# The fixture pages, and pages for the fast pass's branches: a forum thread (its posts, in comment
# boxes, are kept) and the same page without the forum's markup (they are pruned), a page whose
# text is not in paragraphs (the baseline rescues it), and one with no text.
FAST_PASS_PAGES = {name: page for name, page in PAGES_TO_PARSE.items() if parse_page(page) is not None} | {
    "forum thread": _FORUM_THREAD,
    "not a forum thread": _FORUM_THREAD.replace("DiscussionForumPosting", "NewsArticle"),
    "text outside paragraphs": f"<html><body><div><span>{PARAGRAPH}</span></div><p>Court.</p></body></html>",
    "no text": "<html><body><article><p> </p><img src='a.jpg'></article></body></html>",
}


@pytest.mark.parametrize("name", FAST_PASS_PAGES)
def test_the_fast_pass_gives_the_text_of_trafilaturas_own_call_and_leaves_the_tree(name: str) -> None:
    tree = parse_page(FAST_PASS_PAGES[name])
    before = tostring(tree)
    url = "https://www.example.fr/societe/article.html"
    options = pass_options(url, {"fast": True}, False)
    # the two checks fast_pass_text leaves out: they cannot change the text with these settings
    assert (options.max_tree_size, options.min_output_size) == (None, 1)
    theirs = trafilatura.bare_extraction(deepcopy(tree), url=url, options=options)
    assert fast_pass_text(tree, url) == (theirs.text if theirs is not None else "")
    assert tostring(tree) == before


def test_kill_pool_workers_leaves_the_pool_no_live_worker_to_wait_for() -> None:
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("forkserver")) as pool:
        busy = [pool.submit(time.sleep, 60) for _ in range(2)]
        deadline = time.monotonic() + 30
        while len(pool._processes or {}) < 2 and time.monotonic() < deadline:  # noqa: SLF001
            time.sleep(0.05)
        workers = list(pool._processes.values())  # noqa: SLF001
        kill_pool_workers(pool)
        for future in busy:
            with pytest.raises(BrokenProcessPool):
                future.result(timeout=20)
    assert len(workers) == 2 and not any(worker.is_alive() for worker in workers)


# Elements that tell a Python selection from a careless copy of trafilatura's XPath: attributes in
# either order (XPath reads `@id|@class` as whichever comes first in the tag), a box named as
# the body twice under one parent (`[1]` is per parent), comment lists and boxes, headlines in
# infinite-scroll boxes, hidden and navigation elements, a cookie banner in capitals.
ELEMENTS_THAT_TELL_THEM_APART = """<html><body>
<div id="x" class="cookie">id first</div><div class="cookie" id="x">class first</div>
<div class="reply-box" id="y">class first</div><div id="y" class="reply-box">id first</div>
<span style="color: red" id="hidden-note">style first</span><span id="hidden-note" style="color: red">id first</span>
<main><div class="post">first post</div><div class="post">second post</div></main>
<section><div class="entry">an entry</div></section>
<ol id="comments"><li>a</li></ol><ol class="comment-list"><li>b</li></ol><ol id="disqus_thread"><li>c</li></ol>
<div id="disqus_thread">d</div><div id="commentary">e</div><ul class="article-comments"><li>f</li></ul>
<div class="infinite-scroll"><h1>kept</h1></div><div class="infinite-scroll"><p>gone</p></div>
<div class="mvp-post-add-box"><h1>gone too</h1></div><aside class="elementor-share-buttons">share</aside>
<p role="Navigation">nav</p><p data-component="MostPopularStories-1">top</p><p data-lp-replacement-content="">lp</p>
<div aria-hidden="true">h</div><div style="display:none">n</div><div class="comments-title">t</div>
<p class="byline">b</p><div id="footer">f</div>
<div id="z" class="site-footer">id first</div><div class="site-footer" id="z">class first</div>
<section class="Cookie-Banner">consent</section><footer>foot</footer>
</body></html>"""


def _trees_trafilatura_searches() -> list[HtmlElement]:
    """Each fixture page's tree as parsed, and as trafilatura's cleaning and tag conversion leave it
    (the prunes search the first, the body search the second)."""
    pages = [ELEMENTS_THAT_TELL_THEM_APART] + [
        decode_bytes(data, declared_charset(data))[0]
        for path in sorted((FIXTURES_DIR / "html").iterdir())
        + sorted((FIXTURES_DIR / "page_types").glob("*.htm*"))
        for data in [gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()]
    ]
    options = Extractor(output_format="python")
    trees = [tree for tree in map(parse_page, pages) if tree is not None]
    return trees + [convert_tags(tree_cleaning(deepcopy(tree), options), options) for tree in trees]


def test_every_python_selection_is_in_use() -> None:
    assert [equivalent for equivalent, _ in xpaths.IN_USE] == list(xpaths.EQUIVALENTS)


@pytest.mark.parametrize("position", range(len(xpaths.EQUIVALENTS)))
def test_a_python_selection_selects_what_trafilaturas_xpath_selects(position: int) -> None:
    _, selection = xpaths.IN_USE[position]
    trees = _trees_trafilatura_searches()
    assert [selection(tree) for tree in trees] == [selection.xpath(tree) for tree in trees]
    assert selection(trees[0])  # the made-up page gives each something to select


def test_python_selections_stand_in_only_inside_the_block() -> None:
    with pytest.raises(RuntimeError), xpaths.python_selections():
        assert [equivalent.expression() for equivalent, _ in xpaths.IN_USE] == [s for _, s in xpaths.IN_USE]
        raise RuntimeError
    assert [equivalent.expression() for equivalent, _ in xpaths.IN_USE] == [s.xpath for _, s in xpaths.IN_USE]
