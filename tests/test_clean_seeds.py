"""The seed cleaner contract: boilerplate gone, real content kept, one test per seed."""

from __future__ import annotations

import pytest

from newsflow.document.clean import clean_text
from newsflow.document.extract import extract_plain_text

from conftest import seed_text


def cleaned(prefix: str) -> tuple[str | None, str, list[str]]:
    """(title, clean text, names of the rules that fired) of a seed, through the plain-text path."""
    extracted = extract_plain_text(seed_text(prefix))
    result = clean_text(extracted.text, extracted.title)
    return extracted.title, result.text, [span.rule for span in extracted.removed + result.removed]


def test_000_repeated_titles_teaser_and_prev_next_removed() -> None:
    title, text, rules = cleaned("000")
    assert (
        title
        == "OTAN, message de Stoltenberg à la Russie et à la Chine : « Nous sommes une alliance nucléaire »"
    )
    assert title not in text  # the two copies below the title are gone
    assert rules.count("repeated_title") == 2
    for boilerplate in ("Lire aussi", "PREV ", "NEXT ", "Miss Fisher", "Romeo Giacomoni"):
        assert boilerplate not in text
    # The subheading that only resembles the title, and the last real paragraph, stay.
    assert "Message de Stoltenberg à la Russie et à la Chine : « Nous sommes une alliance nucléaire »" in text
    assert text.endswith("en assurant une “demande durable”.")


def test_001_similar_articles_list_removed_doctrine_list_and_bullets_kept() -> None:
    _, text, _ = cleaned("001")
    assert "Articles similaires" not in text
    assert "diplomate japonais" not in text
    assert "réagira en cas d’attaque contre la Suède" not in text
    # The four-item list on Russian nuclear doctrine is article content.
    assert text.count("\n- ") == 4
    assert "- l’agression contre la Fédération de Russie au moyen d’armes conventionnelles" in text
    assert "Annonces de Stoltenberg sur le nucléaire et la guerre :" in text
    assert text.count("▪") == 4
    assert text.endswith("garantit toujours leur sécurité nationale.")


def test_002_lire_aussi_lines_and_follow_us_removed_quotes_kept() -> None:
    _, text, rules = cleaned("002")
    assert "LIRE AUSSI" not in text
    assert "Solovyov" not in text
    assert "Retrouvez News365" not in text
    assert "Le bilan des morts en Ukraine s’alourdit" not in text  # teaser headline under the widget
    assert rules.count("fr.teaser_line") == 3
    for quote in (
        "« Ce serait un très mauvais signal si nous annulions soudainement",
        "« Le comportement ferme et prévisible de l’OTAN",
        "« Nous avons fait savoir aux Russes de manière assez directe",
        "« C’est quelque chose que nous suivons de près",
    ):
        assert quote in text
    assert text.endswith("tout en maintenant l’approvisionnement de Kiev.")


def test_003_dateline_image_caption_share_strip_and_cms_footer_removed() -> None:
    title, text, _ = cleaned("003")
    assert title == "L'OTAN envoie un message à la Russie et à la Chine"
    for boilerplate in (
        "DNUM_BBZAHZCACE",
        "08:32",
        "Amérique Russie",
        "jens-stoltenberg-nato-commerce.jpg",
        "Photo : OTAN",
        "Photo\xa0: OTAN",
        "Copier le lien",
        "Journal Nghe An en vedette",
        "ALIMENTÉ PAR",
        "International",
    ):
        assert boilerplate not in text
    lines = text.splitlines()
    assert "Dernier" not in lines
    assert "x" not in lines
    assert title not in text  # repeated at the bottom of the page, removed with the share strip
    assert lines[-1] == "Selon RIA Novosti"
    assert "« Le message d’aujourd’hui est le plus fort que l’OTAN ait jamais envoyé à la Chine" in text


def test_004_site_label_and_repeated_caption_removed() -> None:
    title, text, rules = cleaned("004")
    assert title == "L'OTAN en pourparlers pour mettre les armes nucléaires en alerte, selon Stoltenberg"
    assert "LE MONDE" not in text
    assert text.count("Jens Stoltenberg - OTAN") == 1
    assert rules == ["kicker_label", "repeated_line"]
    assert "\"Je n'entrerai pas dans les détails opérationnels" in text


@pytest.mark.parametrize("prefix", ["000", "001", "002", "003", "004"])
def test_every_removed_span_is_audited_and_gone(prefix: str) -> None:
    extracted = extract_plain_text(seed_text(prefix))
    result = clean_text(extracted.text, extracted.title)
    lines = result.text.splitlines()
    for span in extracted.removed + result.removed:
        assert span.rule and span.text
        first_line = span.text.splitlines()[0]
        # A repeated line keeps its first copy (or lives on as the title); anything else is gone.
        assert lines.count(first_line) == (1 if span.rule == "repeated_line" else 0)
