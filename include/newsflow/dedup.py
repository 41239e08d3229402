"""Duplicates: exact copies by a hash of the normalised text; near-duplicate stories by MinHash LSH."""

from __future__ import annotations

import dataclasses
import hashlib
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from datasketch import MinHash, MinHashLSH

from newsflow.schema import Article
from newsflow.settings import Settings

# Story shingles are pairs of consecutive content words; words under 4 letters are mostly function
# words ("le", "des", "qui") that make unrelated French articles look alike.
MIN_CONTENT_WORD_CHARS = 4
# Fixed so signatures (and so story ids) are the same on every run and machine.
MINHASH_SEED = 1


@dataclass(frozen=True, slots=True)
class StoryRef:
    """An already-clustered article that new articles can join."""

    article_id: str
    story_id: str
    text: str


def _words(text: str) -> list[str]:
    """Lower-case, accent-free words of the text."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    return re.findall(r"\w+", "".join(ch for ch in folded if not unicodedata.combining(ch)))


def content_hash(text: str) -> str:
    """sha256 of the text with case, accents, punctuation and spacing folded away."""
    return hashlib.sha256(" ".join(_words(text)).encode("utf-8")).hexdigest()


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


def story_shingles(text: str) -> set[str]:
    words = [w for w in _words(text) if len(w) >= MIN_CONTENT_WORD_CHARS]
    return {f"{a} {b}" for a, b in zip(words, words[1:], strict=False)}


def jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def assign_story_ids(articles: list[Article], earlier: list[StoryRef], settings: Settings) -> list[Article]:
    """Give every article a `story_id`: the story of the first earlier or same-day article it
    nearly duplicates, else its own id.

    MinHash LSH finds candidates cheaply; each candidate is then confirmed with the exact Jaccard
    similarity of the shingle sets against `settings.story_min_jaccard`, so LSH only costs time,
    never a wrong merge. Order decides ties (earlier days first), so re-runs give the same ids.
    """
    bands = settings.story_lsh_bands
    lsh = MinHashLSH(num_perm=bands, params=(bands, 1))  # one row per band: see Settings
    shingles: list[set[str]] = []
    stories: list[str] = []

    def add(story_id: str, text_shingles: set[str]) -> int:
        index = len(stories)
        stories.append(story_id)
        shingles.append(text_shingles)
        if text_shingles:
            lsh.insert(index, _signature(text_shingles, bands))
        return index

    for ref in earlier:
        add(ref.story_id, story_shingles(ref.text))
    assigned = []
    for article in articles:
        own = story_shingles(article.text)
        matches = []
        if own:
            candidates = lsh.query(_signature(own, bands))
            matches = [i for i in candidates if jaccard(own, shingles[i]) >= settings.story_min_jaccard]
        story_id = stories[min(matches)] if matches else article.article_id
        add(story_id, own)
        assigned.append(dataclasses.replace(article, story_id=story_id))
    return assigned


def _signature(shingles: set[str], num_perm: int) -> MinHash:
    signature = MinHash(num_perm=num_perm, seed=MINHASH_SEED)
    signature.update_batch([s.encode("utf-8") for s in sorted(shingles)])
    return signature
