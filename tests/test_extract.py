"""HTML and plain-text extraction: body, metadata, language hint, title split, never raising."""

from __future__ import annotations

from datetime import date

import pytest

from newsflow.extract import extract_html, extract_plain_text, extract_text, parse_published_date

from conftest import FIXTURES_DIR


def fixture(name: str) -> str:
    return (FIXTURES_DIR / "html" / name).read_text(encoding="utf-8")


def test_html_article_body_and_metadata() -> None:
    extracted = extract_html(fixture("article_with_inline_teaser.html"))
    assert extracted.title == "Sommet de l'OTAN : Kiev obtient une mission d'assistance"
    assert extracted.author == "Claire Martin"
    assert extracted.sitename == "Le Quotidien"
    assert extracted.url == "https://quotidien.example/monde/sommet-otan-kiev"
    assert extracted.published_date == date(2024, 7, 11)
    assert extracted.html_language == "fr"
    assert extracted.method == "trafilatura_precision"
    assert extracted.published_date_source == "metadata"
    assert "Wiesbaden" in extracted.text
    assert "Accueil" not in extracted.text and "Mentions légales" not in extracted.text


def test_extract_text_removes_the_inline_teaser_and_the_title_line() -> None:
    text = extract_text(fixture("article_with_inline_teaser.html"))
    assert "Lire aussi" not in text and "75 ans" not in text
    assert text.startswith("Réunis à Washington")
    assert text.endswith("entre les parties.")


@pytest.mark.parametrize("html", ["", "<html>", "\x00\x01garbage", "<p>court</p>", "<html><body></body></html>"])
def test_extract_text_never_raises_and_returns_empty_when_nothing_usable(html: str) -> None:
    assert extract_text(html) == ""
    assert extract_html(html).method == "failed"


def test_plain_text_title_is_the_first_short_line_after_kicker_labels() -> None:
    extracted = extract_plain_text("LE MONDE\n\nLa guerre des drones change le front\n\nUn paragraphe.\n")
    assert extracted.title == "La guerre des drones change le front"
    assert extracted.text == "Un paragraphe."
    assert [(s.rule, s.text) for s in extracted.removed] == [("kicker_label", "LE MONDE")]


def test_plain_text_without_title_line_uses_the_first_sentence_and_keeps_it() -> None:
    body = "Le secrétaire général a parlé hier. Il a ensuite quitté la salle."
    extracted = extract_plain_text(body)
    assert extracted.title == "Le secrétaire général a parlé hier."
    assert extracted.text == body
    assert extracted.removed == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [("2024-07-11", date(2024, 7, 11)), ("2024-07-11T08:30:00", date(2024, 7, 11)), ("1970-01-01", None),
     ("not a date", None), (None, None)],
)
def test_published_date_parsing_rejects_junk_and_pre_web_dates(value: str | None, expected: date | None) -> None:
    assert parse_published_date(value) == expected
