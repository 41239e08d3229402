"""Gazetteer matching: case/accent-insensitive, word-bounded, French elision, title prominence."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

import pytest
import yaml

from newsflow.entities.watchlist import EXAMPLE_PATH, WatchlistError, find_mentions, load_gazetteer, normalise
from newsflow.schema import Article
from newsflow.settings import Settings

from conftest import FIXTURES_DIR

GAZETTEER = load_gazetteer(EXAMPLE_PATH)


def mentions_in(text: str, title: str | None = "Un titre sans entité") -> Counter[str]:
    article = Article("a1", "test", None, None, date(2024, 7, 10), title=title, text=text)
    return Counter(m.entity_id for m in find_mentions(article, GAZETTEER))


def test_gazetteer_has_the_tracked_entities_with_french_and_english_aliases() -> None:
    ids = {e.entity_id for e in GAZETTEER.entities}
    assert len(ids) >= 12
    assert {
        "nato",
        "jens_stoltenberg",
        "russia",
        "vladimir_putin",
        "china",
        "ukraine",
        "belarus",
        "north_korea",
        "iran",
        "united_states",
        "joe_biden",
        "nuclear_weapons",
    } <= ids
    nato = next(e for e in GAZETTEER.entities if e.entity_id == "nato")
    assert {"OTAN", "NATO", "Alliance atlantique"} <= set(nato.aliases)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("l'OTAN et l’OTAN, puis l‘Otan", {"nato": 3}),
        ("d'Ukraine, d’Ukraine et de l'ukraine", {"ukraine": 3}),
        ("l’Alliance atlantique et l'alliance Atlantique", {"nato": 2}),
        ("Les ETATS-UNIS et les États‑Unis", {"united_states": 2}),
        ("La Biélorussie, ou Bielorussie, et le Belarus", {"belarus": 3}),
        ("Vladimir Poutine, puis Poutine seul", {"vladimir_putin": 2}),
        ("Les armes   nucléaires\net une arme nucléaire", {"nuclear_weapons": 2}),
        # Word-bounded: no match inside longer words.
        ("Les Iraniens, la Chinerie et les Russies imaginaires, NATOs", {}),
    ],
)
def test_matching_is_case_accent_and_elision_insensitive_and_word_bounded(
    text: str, expected: dict[str, int]
) -> None:
    assert mentions_in(text) == Counter(expected)


def test_longest_alias_wins_and_offsets_point_at_the_original_text() -> None:
    text = "Selon Jens Stoltenberg, la Corée du Nord inquiète."
    article = Article("a1", "test", None, None, date(2024, 7, 10), title=None, text=text)
    found = find_mentions(article, GAZETTEER)
    assert [(m.entity_id, m.alias, m.matched_text) for m in found] == [
        ("jens_stoltenberg", "Jens Stoltenberg", "Jens Stoltenberg"),
        ("north_korea", "Corée du Nord", "Corée du Nord"),
    ]
    assert all(text[m.char_offset : m.char_offset + len(m.matched_text)] == m.matched_text for m in found)


def test_title_mentions_are_flagged_and_sentences_counted() -> None:
    article = Article(
        "a1",
        "t",
        None,
        None,
        date(2024, 7, 10),
        title="L'OTAN et Kiev",
        text="Première phrase sur la Chine. Deuxième sur l'OTAN !\nTroisième : Pékin.",
    )
    found = [(m.entity_id, m.in_title, m.sentence_index) for m in find_mentions(article, GAZETTEER)]
    assert found == [
        ("nato", True, -1),
        ("ukraine", True, -1),
        ("china", False, 0),
        ("nato", False, 1),
        ("china", False, 2),
    ]


def test_title_that_is_the_lead_of_the_text_is_not_counted_twice() -> None:
    text = "L'OTAN a parlé. Puis l'OTAN a agi."
    article = Article("a1", "t", None, None, date(2024, 7, 10), title="L'OTAN a parlé.", text=text)
    found = [(m.in_title, m.sentence_index) for m in find_mentions(article, GAZETTEER)]
    assert found == [(True, 0), (False, 1)]


def test_normalise_keeps_length_for_offsets() -> None:
    for text in ("États‑Unis d’Amérique", "İstanbul ß œ", "Ça c'est l’été"):
        assert len(normalise(text)) == len(text)


def test_alias_claimed_by_two_entities_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "g.yaml"
    path.write_text(
        "entities:\n- {id: a, label: A, type: place, aliases: {fr: [Kiev]}}\n"
        "- {id: b, label: B, type: place, aliases: {en: [kiev]}}\n"
    )
    with pytest.raises(ValueError, match="belongs to both a and b"):
        load_gazetteer(path)


ALIAS_SENTENCES = yaml.safe_load((FIXTURES_DIR / "alias_sentences.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", ALIAS_SENTENCES, ids=[c["text"][:40] for c in ALIAS_SENTENCES])
def test_tricky_sentences_yield_exactly_their_entities(case: dict) -> None:
    assert mentions_in(case["text"], title=None) == Counter(case["expect"])


def test_acronyms_match_only_in_capitals_and_every_entity_may_carry_a_wikidata_id() -> None:
    united_states = next(e for e in GAZETTEER.entities if e.entity_id == "united_states")
    assert "US" in united_states.acronyms and united_states.wikidata_id == "Q30"
    assert mentions_in("us Us uS", title=None) == Counter()
    assert all(e.wikidata_id is None or e.wikidata_id.startswith("Q") for e in GAZETTEER.entities)


def test_an_acronym_that_is_also_an_alias_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "entities.yaml"
    path.write_text(
        "entities:\n  - {id: us, label: US, type: place, aliases: {en: [USA]}, acronyms: [USA]}\n",
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match="acronym 'USA' is also an alias"):
        load_gazetteer(path)


def test_a_new_watchlist_is_the_example_and_is_the_users_file(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    assert settings.entities_path == tmp_path / "data" / "entities.yaml"
    gazetteer = load_gazetteer(settings.entities_path)  # first use: created from the example
    assert settings.entities_path.read_text(encoding="utf-8") == EXAMPLE_PATH.read_text(encoding="utf-8")
    assert gazetteer == GAZETTEER
    with settings.entities_path.open("a", encoding="utf-8") as watchlist:  # the user's edit is read anew
        watchlist.write("  - {id: hamas, label: Hamas, type: organization, aliases: {fr: [Hamas]}}\n")
    assert "hamas" in {e.entity_id for e in load_gazetteer(settings.entities_path).entities}
    assert (
        EXAMPLE_PATH.read_text(encoding="utf-8")
        == settings.entities_path.read_text(encoding="utf-8").split("  - {id: hamas")[0]
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("entities: [", r"not valid YAML"),
        (
            "entities:\n- {id: a, label: A, type: place, aliases: {fr: Kiev}}\n",
            r"entity 1 \(a\), field aliases\.fr: ",
        ),
        (
            "entities:\n- {id: a, label: A, type: place, aliases: {fr: [Kiev]}}\n- {id: b, label: B, type: planet, aliases: {fr: [Mars]}}\n",
            r"entity 2 \(b\), field type: ",
        ),
        (
            "entities:\n- {id: a, label: A, type: place, aliases: {fr: [Kiev]}, wikidata: 212}\n",
            r"entity 1 \(a\), field wikidata: ",
        ),
        ("entities:\n- {id: a, label: A, type: place}\n", r"entity 1 \(a\), field aliases: "),
        (
            "entities:\n- {id: a, label: A, type: place, aliases: {fr: [X]}}\n- {id: a, label: B, type: place, aliases: {fr: [Y]}}\n",
            r"entity id a is used twice",
        ),
        ("people: []\n", r"entities: "),
    ],
    ids=[
        "yaml",
        "aliases as a string",
        "unknown type",
        "wikidata not an id",
        "no aliases",
        "id twice",
        "no entities",
    ],
)
def test_a_watchlist_with_an_error_gives_one_line_naming_the_file_and_field(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "entities.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(WatchlistError, match=rf"^{tmp_path}/entities.yaml: {message}") as error:
        load_gazetteer(path)
    assert "\n" not in str(error.value)
