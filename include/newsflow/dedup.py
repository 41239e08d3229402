"""Exact duplicates: a hash of the normalised text, matched within a batch and against earlier days."""

from __future__ import annotations

import dataclasses
import hashlib
import unicodedata
from collections.abc import Mapping

from newsflow.schema import Article


def content_hash(text: str) -> str:
    """sha256 of the text with case, accents, punctuation and spacing folded away."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    words = "".join(ch if ch.isalnum() else " " for ch in folded if not unicodedata.combining(ch)).split()
    return hashlib.sha256(" ".join(words).encode("utf-8")).hexdigest()


def mark_exact_duplicates(articles: list[Article], earlier: Mapping[str, str]) -> list[Article]:
    """Set `content_hash` on every article and `duplicate_of` to the first article with the same hash.

    `earlier` maps content hashes of previous days to their article ids; within the batch the
    first article in order wins, so the result is the same on every re-run.
    """
    first_by_hash = dict(earlier)
    marked = []
    for article in articles:
        if not article.text.strip():  # nothing to compare; validation quarantines it
            marked.append(article)
            continue
        digest = content_hash(article.text)
        first = first_by_hash.setdefault(digest, article.article_id)
        duplicate_of = first if first != article.article_id else None
        marked.append(dataclasses.replace(article, content_hash=digest, duplicate_of=duplicate_of))
    return marked
