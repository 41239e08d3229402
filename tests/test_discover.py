"""Open-world entity discovery with the real spaCy models (loaded once per process by load_ner)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

import pytest

from newsflow.entities import names
from newsflow.entities.discover import (
    DiscoveredEntity,
    EntityMention,
    discover,
    group_entities,
    load_ner,
)
from newsflow.entities.watchlist import EXAMPLE_PATH, Gazetteer, load_gazetteer


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return load_gazetteer(EXAMPLE_PATH)  # the packaged example, read as it is


def entities(text: str, language: str, gazetteer: Gazetteer | None = None) -> list[DiscoveredEntity]:
    (mentions,) = discover([text], language, gazetteer)
    assert all(text[m.char_offset : m.char_offset + len(m.matched_text)] == m.matched_text for m in mentions)
    return group_entities(mentions)


def by_name(found: list[DiscoveredEntity]) -> dict[str, DiscoveredEntity]:
    return {entity.name: entity for entity in found}


def test_an_english_article_gets_people_organisations_and_places() -> None:
    text = "Julianne Smith met officials of Microsoft in Brussels on Monday."
    found = {(e.name, e.kind) for e in entities(text, "en")}
    # Monday is a DATE: not a person, organisation or place
    assert found == {("Julianne Smith", "PER"), ("Microsoft", "ORG"), ("Brussels", "LOC")}


def test_a_surname_alone_is_the_person_named_in_full() -> None:
    text = "Julianne Smith, the US ambassador, spoke in Brussels. Smith said the alliance was united."
    smith = by_name(entities(text, "en"))["Julianne Smith"]
    assert (smith.forms, smith.count) == (("Julianne Smith", "Smith"), 2)


def test_a_title_goes_and_the_surname_joins_the_full_name() -> None:
    text = "M. Stoltenberg a rencontré les ministres à Bruxelles. Jens Stoltenberg a parlé de l'Ukraine."
    found = by_name(entities(text, "fr"))
    assert "M. Stoltenberg" not in found and "Stoltenberg" not in found
    assert (found["Jens Stoltenberg"].forms, found["Jens Stoltenberg"].count) == (
        ("Stoltenberg", "Jens Stoltenberg"),
        2,
    )


def test_a_country_is_one_entity_under_its_names_and_in_both_languages() -> None:
    english = entities("Germany and the Federal Republic of Germany signed nothing. Germany waited.", "en")
    french = entities("L'Allemagne a signé. Les ministres de l'Allemagne sont à Berlin.", "fr")
    (germany,) = [e for e in english if "Germany" in e.name]
    (allemagne,) = [e for e in french if "Allemagne" in e.name]
    assert germany.entity_key == allemagne.entity_key == "germany"
    assert germany.count == 3 and allemagne.count == 2


def test_an_initial_alone_is_not_a_name() -> None:
    text = "« La guerre ne doit pas être menée », a déclaré M. G.. a ajouté Jens Stoltenberg à Bruxelles."
    assert all(len(e.entity_key) > 1 for e in entities(text, "fr"))


def test_a_common_word_at_a_sentence_start_is_not_an_entity() -> None:
    text = "Meth use has risen. Police in Ohio said meth seizures doubled last year."
    assert "Meth" in {ent.text for ent in load_ner("en")(text).ents}  # what the model does
    assert {e.name for e in entities(text, "en")} == {"Ohio"}  # nor "meth seizures": no capital


@pytest.mark.parametrize(
    ("text", "language", "form"),
    [
        ("Le secrétaire général de l'OTAN est attendu à Bruxelles.", "fr", "l'OTAN"),
        ("NATO leaders met in Brussels on Monday.", "en", "NATO"),
    ],
)
def test_an_alias_of_a_watchlist_entity_takes_its_id(
    text: str, language: str, form: str, gazetteer: Gazetteer
) -> None:
    found = {e.forms[0]: e.entity_id for e in entities(text, language, gazetteer)}
    assert found.pop(form) == "nato"
    assert set(found.values()) == {None}  # Brussels is not on the watchlist
    assert {e.entity_id for e in entities(text, language)} == {None}  # no gazetteer, nothing tracked


def test_an_acronym_joins_the_name_it_abbreviates() -> None:
    text = (
        "Le Service de police de la Ville de Montréal (SPVM) enquête sur l'accident. "
        "Le SPVM a confirmé la mort du cycliste."
    )
    spvm = by_name(entities(text, "fr"))["Service de police de la Ville de Montréal"]
    assert (sorted(spvm.forms), spvm.count) == (["SPVM", "Service de police de la Ville de Montréal"], 3)


def test_a_place_loses_the_administrative_noun_around_it() -> None:
    text = "Les vents ont atteint 150 km/h dans le département du Finistère. Le Finistère est en alerte."
    (finistere,) = entities(text, "fr")
    assert (finistere.name, finistere.forms, finistere.count) == ("Finistère", ("Finistère",), 2)


@pytest.fixture
def short_max_length() -> Iterator[int]:
    """The English model reading at most 300 characters: a 4.6 MB text at 1,000,000 would take a minute."""
    nlp = load_ner("en")
    saved, nlp.max_length = nlp.max_length, 300
    yield nlp.max_length
    nlp.max_length = saved


def test_a_text_longer_than_max_length_is_cut_not_refused(
    short_max_length: int, caplog: pytest.LogCaptureFixture
) -> None:
    text = "Angela Merkel visited Paris. " + "The talks went on. " * 30 + "Barack Obama visited Berlin."
    assert len(text) > short_max_length
    with caplog.at_level(logging.WARNING):
        cut, whole = discover([text, "Barack Obama visited Berlin."], "en")
    assert [m.matched_text for m in cut] == ["Angela Merkel", "Paris"]  # Obama is past the cut
    assert [m.matched_text for m in whole] == ["Barack Obama", "Berlin"]
    assert "cut at 300 characters" in caplog.text


def test_mentions_are_records_in_reading_order() -> None:
    text = "Julianne Smith spoke in Brussels. Smith said she would fly to Paris."
    (mentions,) = discover([text], "en")
    assert [(m.matched_text, m.char_offset) for m in mentions] == [
        ("Julianne Smith", 0),
        ("Brussels", 24),
        ("Smith", 34),
        ("Paris", 62),
    ]
    assert mentions[2] == EntityMention("julianne smith", "Julianne Smith", "PER", None, "Smith", 34)
    assert not mentions[2].tracked


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("U.S.", "us"),
        ("l’OTAN", "otan"),  # the scorer's rule: one leading article, elided or not
        ("the Pentagon", "pentagon"),
        ("Hong Kong's", "hong kong"),
        ("Jean-Paul Delevoye", "jean paul delevoye"),
        ("Émirats arabes unis", "emirats arabes unis"),
    ],
)
def test_the_grouping_key_is_the_scorers_normalisation(name: str, key: str) -> None:
    assert names.entity_key(name) == key


@pytest.mark.parametrize(
    ("text", "initial"),
    [
        ("Bird said so.", True),
        ("It rained.\nBird said so.", True),
        ("« Bird said so.", True),
        ("Then Bird said so.", False),
        ("The U.S. Army said so.", False),  # "U.S." ends no sentence
        ("It rained. Bird said so.", True),
    ],
)
def test_a_sentence_start_is_told_without_a_parser(text: str, initial: bool) -> None:
    start = text.index("Bird") if "Bird" in text else text.index("Army")
    assert names.sentence_initial(text, start) is initial


@pytest.mark.parametrize(
    ("trim", "span", "name"),
    [
        (names.strip_title, "M. Jean Dupont", "Jean Dupont"),
        (names.strip_title, "Mrs May", "May"),
        (names.strip_title, "président de la République", ""),  # a role, not a person
        (names.strip_clitics, "Bird n’", "Bird"),
        (names.strip_clitics, "qu’Israël", "Israël"),
        (names.strip_clitics, "’s Haqqani", "Haqqani"),
        (names.strip_clitics, "D’Souza", "D’Souza"),
        (names.strip_clitics, "L’Oréal", "L’Oréal"),  # the key drops a leading l', the name keeps it
        (names.strip_place_words, "département du Finistère", "Finistère"),
        (names.strip_place_words, "Zabul province", "Zabul"),
        (names.strip_place_words, "île de Batz", "île de Batz"),
        (names.strip_place_words, "mer Rouge", "mer Rouge"),
        (names.strip_outer, "« Chine.a", "Chine"),  # the next sentence glued on by a lost space
        (names.strip_outer, "Lemonde.fr", "Lemonde.fr"),
    ],
)
def test_a_span_is_trimmed_to_the_name(
    trim: Callable[[str, int, int], tuple[int, int]], span: str, name: str
) -> None:
    text = f"Hier, {span} encore."
    start, end = trim(text, 6, 6 + len(span))
    assert text[start:end] == name
