"""Language detection (seeded, deterministic) and exact-duplicate marking."""

from __future__ import annotations

from datetime import date

from newsflow.dedup import content_hash, mark_exact_duplicates
from newsflow.language import detect_language
from newsflow.schema import Article

from conftest import seed_text


def test_french_seed_is_french_and_detection_is_deterministic() -> None:
    text = seed_text("002")
    language, probability = detect_language(text)
    assert language == "fr" and probability > 0.9
    assert [detect_language(text) for _ in range(3)] == [(language, probability)] * 3


def test_english_text_and_texts_without_letters() -> None:
    assert (
        detect_language("The alliance will hold its annual nuclear exercise next week, officials said.")[0]
        == "en"
    )
    assert detect_language("") == (None, None)
    assert detect_language("12345 --- 678") == (None, None)


def test_content_hash_ignores_case_accents_punctuation_and_spacing() -> None:
    assert content_hash("L’OTAN  a déclaré :\n« Non ».") == content_hash("l'otan a declare non")
    assert content_hash("L'OTAN a déclaré oui") != content_hash("L'OTAN a déclaré non")


def article(article_id: str, text: str) -> Article:
    return Article(article_id, "test", None, f"{article_id}.txt", date(2024, 7, 10), text=text)


def test_exact_duplicates_point_to_the_first_copy_today_or_earlier() -> None:
    earlier = {content_hash("Texte publié hier."): "old"}
    marked = mark_exact_duplicates(
        [
            article("a", "Un texte."),
            article("b", "UN TEXTE !"),
            article("c", "Texte publié hier."),
            article("d", "Autre chose."),
            article("e", ""),
        ],
        earlier,
    )
    assert [a.duplicate_of for a in marked] == [None, "a", "old", None, None]
    assert marked[0].content_hash == marked[1].content_hash
    assert marked[4].content_hash is None  # empty text: nothing to compare, validation quarantines it
