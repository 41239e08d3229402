"""Whether a page is an article, on real pages (tests/fixtures/page_types, sources and licences in
its README): podcast and song pages are audio, a list of teasers is a section, a site's root is
its home, and articles stay articles behind a big menu of linked headlines or beside a video."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from lxml.html import tostring

from newsflow.document.extract import extract_html, parse_page
from newsflow.document.page_type import (
    ARTICLE,
    AUDIO,
    HOME,
    SECTION,
    VIDEO,
    PageType,
    classify_page,
    read_page_signals,
)

PAGES = Path(__file__).resolve().parent / "fixtures" / "page_types"


def page_type(file_name: str, url: str) -> PageType:
    """The page's type as the pipeline finds it: signals from the pristine tree, the extracted text."""
    raw = (PAGES / file_name).read_bytes()
    html = (gzip.decompress(raw) if file_name.endswith(".gz") else raw).decode("utf-8")
    tree = parse_page(html)
    assert tree is not None
    return classify_page(read_page_signals(tree, url), extract_html(html, url).text, url)


@pytest.mark.parametrize(
    ("file_name", "url", "evidence"),
    [
        # Declares a PodcastEpisode (schema.org) and holds a player and two lines of notes.
        (
            "podcast_episode.html",
            "https://urbansound.example/2024/05/42-how-rivers-shape-cities",
            "PodcastEpisode",
        ),
        # transistor.fm's episode page: og:type=website, no schema.org type, an <audio> player.
        ("transistor_episode.html.gz", "https://share.transistor.fm/s/e83b42d0", "audio player"),
        # deezer's song page: og:type=music.song.
        ("deezer_song.html.gz", "https://www.deezer.com/es/track/1841999507", "og:type=music.song"),
    ],
)
def test_a_podcast_or_song_page_with_little_prose_is_audio(file_name: str, url: str, evidence: str) -> None:
    found = page_type(file_name, url)
    assert found.kind == AUDIO, found
    assert not found.is_article
    assert evidence in found.evidence


def test_a_list_of_teaser_cards_is_a_section() -> None:
    # Twelve cards (a linked headline, a date, a one-line summary) under a menu; no URL word says
    # "section": the page's build does.
    found = page_type("section_local_news.html", "https://riverside-courier.example/local/")
    assert found.kind == SECTION, found
    assert "12 teasers" in found.evidence and "57% linked text" in found.evidence


def test_a_sites_root_is_its_home() -> None:
    found = page_type("iana_home.html.gz", "http://www.iana.org/")
    assert found.kind == HOME, found
    assert "url says home" in found.evidence


def test_an_article_behind_a_big_menu_of_linked_headlines_is_an_article() -> None:
    # UOL's news page: 69 % of its text is link text, 52 linked headlines in its menus and rails.
    found = page_type(
        "uol_article_big_menu.html.gz",
        "https://entretenimento.uol.com.br/noticias/redacao/2019/05/27/"
        "gabriel-diniz-do-hit-jenifer-se-envolve-em-acidente-de-aviao-em-sergipe.html",
    )
    assert found.kind == ARTICLE, found
    assert "52 teasers" in found.evidence and "69% linked text" in found.evidence


def test_a_news_article_with_long_prose_is_an_article_even_with_a_video() -> None:
    # The Verge: declares NewsArticle and a VideoObject, holds a <video> player and 3,000+ chars of prose.
    found = page_type(
        "verge_article_with_video.html.gz",
        "https://www.theverge.com/2016/5/24/11763836/apple-siri-speaker-amazon-echo-alexa-google-home-ai",
    )
    assert found.kind == ARTICLE, found
    assert "VideoObject" in found.evidence and "video player" in found.evidence


def test_broken_or_hostile_json_ld_says_nothing_and_costs_only_itself() -> None:
    nested = "[" * 100_000 + "]" * 100_000
    html = (
        "<html><head><meta property='og:type' content='article'>"
        '<script type=\'application/ld+json\'>{"@type": "PodcastEpisode",</script>'
        f"<script type='application/ld+json'>{nested}</script>"
        '<script type=\'application/ld+json\'>{"@type": "NewsArticle"}</script>'
        "</head><body><p>text</p></body></html>"
    )
    tree = parse_page(html)
    assert tree is not None
    assert read_page_signals(tree, None).declared_types == frozenset({"NewsArticle"})


def test_linked_share_is_of_the_text_a_reader_sees_counted_once() -> None:
    # Code is no text a reader sees, a script inside <noscript> included, but the text after a
    # script is; reading the signals leaves the page as it was.
    html = (
        "<html><body><p><a href='/a'>AAAA BBBB</a> CCCC DDDD</p>"
        "<noscript><script>var hidden = 1;</script><img src='pixel.gif'></noscript>"
        "<style>p { color: red }</style><script>var shown = 0;</script>EEEE FFFF</body></html>"
    )
    tree = parse_page(html)
    assert tree is not None
    before = tostring(tree)
    # 8 linked characters (spaces apart) of 24 seen: the link, the rest of the paragraph, the tail
    assert read_page_signals(tree, None).linked_share == pytest.approx(8 / 24)
    assert tostring(tree) == before


def test_microdata_declares_the_page_by_its_top_level_items_only() -> None:
    # A video page says so on its outermost item; an article's embedded video is a property of the
    # article (itemprop), not what the page is.
    video_page = (
        "<html><body><div itemscope itemtype='https://schema.org/VideoObject'>"
        "<h1>Le débat en vidéo</h1><video src='debat.mp4'></video></div></body></html>"
    )
    paragraphs = "".join(
        f"<p>Le conseil municipal a voté le budget de la ville hier soir, point {i} du compte rendu.</p>"
        for i in range(10)
    )
    article_page = (
        "<html><body><article itemscope itemtype='http://schema.org/NewsArticle'><h1>Le budget</h1>"
        f"{paragraphs}<div itemprop='video' itemscope itemtype='https://schema.org/VideoObject'>"
        "<video src='budget.mp4'></video></div></article></body></html>"
    )
    signals = [read_page_signals(parse_page(page), None) for page in (video_page, article_page)]
    assert [s.declared_types for s in signals] == [frozenset({"VideoObject"}), frozenset({"NewsArticle"})]
    assert classify_page(signals[0], extract_html(video_page).text, None).kind == VIDEO
    assert classify_page(signals[1], extract_html(article_page).text, None).kind == ARTICLE
