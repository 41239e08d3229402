"""Language detection (seeded, deterministic) and exact-duplicate marking."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from datasketch import MinHash

from newsflow import tasks
from newsflow.document.language import detect_language
from newsflow.document.signatures import MINHASH_SEED, fingerprint
from newsflow.settings import Settings
from newsflow.store import lake

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


def content_hash(text: str) -> str:
    return fingerprint(text, bands=1)[0]


def test_content_hash_ignores_case_accents_punctuation_and_spacing() -> None:
    assert content_hash("L’OTAN  a déclaré :\n« Non ».") == content_hash("l'otan a declare non")
    assert content_hash("L'OTAN a déclaré oui") != content_hash("L'OTAN a déclaré non")


def test_story_signatures_are_those_of_a_minhash_drawn_from_the_seed_for_every_article() -> None:
    # Stored signatures of earlier days are compared with new ones: drawing the permutations once
    # must give what drawing them for each article gives.
    for bands in (8, 32):
        for name in ("000", "003"):
            text = seed_text(name)
            _, signature, shingles = fingerprint(text, bands)
            drawn = MinHash(num_perm=bands, seed=MINHASH_SEED, hashfunc=int)
            drawn.update_batch(shingles)
            assert signature == [int(v) for v in drawn.hashvalues]


BODY = "Les ministres ont parlé du budget de la défense pendant tout le sommet de Washington. " * 4


def test_exact_duplicates_point_to_the_first_copy_today_or_earlier(tmp_path: Path) -> None:
    folders = {
        "monday": {"old.txt": f"Le titre de la veille\n\nHier. {BODY}"},
        "tuesday": {
            "a.txt": f"Le titre du jour même\n\n{BODY}",
            "b.txt": f"LE TITRE DU JOUR MÊME\n\n{BODY.replace('. ', ' ! ')}",  # same words: a copy of a
            "c.txt": f"Le titre repris de la veille\n\nHier. {BODY}",  # the same text as monday's
            "d.txt": f"Un autre titre du jour\n\nAutre chose. {BODY}",
        },
    }
    ids = {}
    for day, (folder, files) in zip((date(2024, 7, 8), date(2024, 7, 9)), folders.items(), strict=True):
        (tmp_path / folder).mkdir()
        for name, text in files.items():
            (tmp_path / folder / name).write_text(text, encoding="utf-8")
        settings = Settings(data_dir=tmp_path / "data", source_dir=tmp_path / folder)
        tasks.ingest_day(day, settings)
        table = lake.read_partition(
            settings.lake_uri, "articles", day, ["source_path", "article_id", "duplicate_of"]
        )
        ids |= {row["source_path"]: (row["article_id"], row["duplicate_of"]) for row in table.to_pylist()}
    duplicate_of = {name: ids[name][1] for name in ("a.txt", "b.txt", "c.txt", "d.txt")}
    assert duplicate_of == {
        "a.txt": None,
        "b.txt": ids["a.txt"][0],
        "c.txt": ids["old.txt"][0],
        "d.txt": None,
    }
