"""What a page says about itself beyond its text: its publication date wherever it stands on the
page, a title without the site's name, and bylines that name people."""

from __future__ import annotations

from datetime import date

import pytest
from lxml.html import fromstring, tostring

from newsflow.document.extract import extract_html
from newsflow.document.metadata import read_metadata, real_authors, title_without_site

# A paragraph of prose with no date in it; eight of them push anything after past 2,000 characters.
PROSE = (
    "<p>Le conseil municipal a longuement débattu du budget des écoles, des cantines et des "
    "transports scolaires avant de voter un emprunt pour rénover trois bâtiments anciens.</p>"
)
URL = "https://www.example-journal.fr/societe/le-conseil-vote-un-emprunt"


def page(head: str = "", body: str = "", after: str = "") -> str:
    return (
        f"<html><head>{head}</head><body><h1>Le conseil vote un emprunt</h1>"
        f"<article>{PROSE * 8}{body}</article>{after}</body></html>"
    )


def test_a_date_in_a_sidebar_past_the_first_2000_characters_is_found() -> None:
    html = page(
        after='<aside class="sidebar"><p>Mis en ligne le 12 mars 2024</p><p>Par la rédaction</p></aside>'
    )
    extracted = extract_html(html, URL, max_date=date(2024, 7, 10))
    assert (extracted.published_date, extracted.published_date_source) == (date(2024, 3, 12), "page")


def test_an_undated_page_is_not_dated_by_its_copyright_year() -> None:
    html = page(after="<footer><p>© 2023 Example Journal. Tous droits réservés.</p></footer>")
    extracted = extract_html(html, URL, max_date=date(2024, 7, 10))
    assert (extracted.published_date, extracted.published_date_source) == (None, "none")


def test_a_reader_comment_s_date_is_not_the_article_s() -> None:
    # the comment's machine-readable date would win htmldate's quick search over the byline's
    comments = (
        '<div class="comments" id="comments"><ul><li class="comment"><p>Très bien.</p>'
        '<abbr class="date" title="2018-09-11T10:57:27Z">Le 11 septembre 2018</abbr></li></ul></div>'
    )
    html = page(body='<div class="info">Par Jean Dupont | 30 septembre 2018</div>', after=comments)
    extracted = extract_html(html, URL, max_date=date(2024, 7, 10))
    assert extracted.published_date == date(2018, 9, 30)


def test_a_reader_comment_s_meta_tag_is_not_the_article_s_date() -> None:
    # a comment's schema.org datePublished is a meta tag: the meta tags alone are asked first only
    # when none of them sits in reader comments
    comments = (
        '<div class="comments"><div itemscope itemtype="https://schema.org/Comment"><p>Très bien.</p>'
        '<meta itemprop="datePublished" content="2018-09-11"></div></div>'
    )
    html = page(body='<div class="info">Par Jean Dupont | 30 septembre 2018</div>', after=comments)
    extracted = extract_html(html, URL, max_date=date(2024, 7, 10))
    assert extracted.published_date == date(2018, 9, 30)


def test_reading_the_metadata_leaves_the_page_as_it_was() -> None:
    # two comment sections under one parent, set aside while the date is read, come back in place
    html = page(
        after='<div id="comments"><p>Un.</p></div><p>Entre.</p><ol class="comment-list"><li>Deux.</li></ol>'
        "<p>Fin 12 mars 2024.</p>"
    )
    tree = fromstring(html)
    before = tostring(tree)
    read_metadata(tree, URL, date(2024, 7, 10))
    assert tostring(tree) == before


def test_the_title_loses_the_site_name_the_page_gives_itself() -> None:
    head = (
        '<meta property="og:title" content="Le conseil vote un emprunt | EXAMPLE JOURNAL | 02.11.2023">'
        '<meta property="og:site_name" content="Example Journal">'
    )
    assert extract_html(page(head), URL).title == "Le conseil vote un emprunt"


@pytest.mark.parametrize(
    ("title", "sitename", "expected"),
    [
        (
            "Tempête Ciaran : à quoi s'attendre - 20 Minutes",
            "20 Minutes",
            "Tempête Ciaran : à quoi s'attendre",
        ),
        ("LE MONDE | Gaza : le monde arabe indigné", "Le Monde", "Gaza : le monde arabe indigné"),
        ("Gaza, le camp | LIBERATION | 02.11.2023", "Libération", "Gaza, le camp"),
        ("Deux ans en Macronie - Regards.fr", "regards.fr", "Deux ans en Macronie"),
        # no part is the site's name: the title stays whole, colons and dashes included
        ("Brexit - le jour d'après", "The Guardian", "Brexit - le jour d'après"),
        ("Regards", "regards.fr", "Regards"),  # a title that is only the name stays
        ("Sans site", None, "Sans site"),
    ],
)
def test_title_without_site(title: str, sitename: str | None, expected: str) -> None:
    assert title_without_site(title, sitename) == expected


def test_a_newsroom_byline_is_no_author() -> None:
    head = (
        '<meta name="author" content="La rédaction"><meta property="og:site_name" content="Example Journal">'
    )
    assert extract_html(page(head), URL).author is None


@pytest.mark.parametrize(
    ("author", "sitename", "expected"),
    [
        ("Rédaction", "Regards", None),
        ("La rédaction de Regards", "Regards", None),
        ("Regards", "regards.fr", None),  # the site's own name
        ("https://www.example.fr/auteurs/jd", None, None),
        ("www.example.fr", None, None),
        ("12 mars 2024", None, None),
        ("Rédaction; Jean Dupont", "Regards", "Jean Dupont"),
        ("Marie Curie; Pierre Curie", "Le Monde", "Marie Curie; Pierre Curie"),
        ("Le Monde avec AFP", "Le Monde", "Le Monde avec AFP"),  # names an agency: kept
        ("Claire Rédaction-Martin", None, "Claire Rédaction-Martin"),  # a name that has the word
    ],
)
def test_real_authors(author: str, sitename: str | None, expected: str | None) -> None:
    assert real_authors(author, sitename) == expected
