"""Language detection (seeded, deterministic) and exact-duplicate marking."""

from __future__ import annotations

from newsflow.day.dedup import content_hash, mark_exact_duplicates
from newsflow.document.language import detect_language

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


def test_exact_duplicates_point_to_the_first_copy_today_or_earlier() -> None:
    texts = {"a": "Un texte.", "b": "UN TEXTE !", "c": "Texte publié hier.", "d": "Autre chose."}
    hashes = [content_hash(text) for text in texts.values()] + [None]  # e: empty text, no hash
    earlier = {content_hash("Texte publié hier."): "old"}
    assert mark_exact_duplicates([*texts, "e"], hashes, earlier) == [None, "a", "old", None, None]
