"""An article's content hash and story signature, computed once, in its shard: the hash of its
normalised words (exact copies) and the MinHash of its content-word pairs (near-duplicate stories,
`day.dedup`)."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from functools import cache

from datasketch import MinHash
from datasketch.hashfunc import sha1_hash32

# Story shingles are pairs of consecutive content words; words under 4 letters are mostly function
# words ("le", "des", "qui") that make unrelated French articles look alike.
MIN_CONTENT_WORD_CHARS = 4
# Fixed so signatures (and so story ids) are the same on every run and machine.
MINHASH_SEED = 1


def _words(text: str) -> list[str]:
    """Lower-case, accent-free words of the text."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    return re.findall(r"\w+", "".join(ch for ch in folded if not unicodedata.combining(ch)))


def fingerprint(text: str, bands: int) -> tuple[str, list[int], list[int]]:
    """(content hash, MinHash values, sorted shingle hashes) of a text, folding its words once."""
    words = _words(text)
    shingles = _shingles_of(words)
    return _hash_of(words), list(minhash_of(shingles, bands)), sorted(shingles)


def _hash_of(words: list[str]) -> str:
    return hashlib.sha256(" ".join(words).encode("utf-8")).hexdigest()


def story_shingles(text: str) -> frozenset[int]:
    """32-bit hashes of the pairs of consecutive content words (hashed once, stored, compared)."""
    return _shingles_of(_words(text))


def _shingles_of(words: list[str]) -> frozenset[int]:
    content = [w for w in words if len(w) >= MIN_CONTENT_WORD_CHARS]
    return frozenset(sha1_hash32(f"{a} {b}".encode()) for a, b in zip(content, content[1:], strict=False))


def minhash_of(shingles: frozenset[int], bands: int) -> tuple[int, ...]:
    """The MinHash signature of a hashed shingle set; empty for an empty set."""
    if not shingles:
        return ()
    drawn = _drawn(bands)
    signature = MinHash(
        num_perm=bands, seed=MINHASH_SEED, hashfunc=int, permutations=drawn.permutations, scheme=drawn.scheme
    )
    signature.update_batch(sorted(shingles))
    return tuple(int(v) for v in signature.hashvalues)


@cache
def _drawn(bands: int) -> MinHash:
    """An empty MinHash of `bands` permutations drawn from MINHASH_SEED: they are drawn once, not
    once an article (a tenth of an article's fingerprint)."""
    return MinHash(num_perm=bands, seed=MINHASH_SEED)


def story_signature(text: str, bands: int) -> tuple[list[int], list[int]]:
    """(MinHash values, sorted shingle hashes) of a text: what story clustering stores and compares."""
    shingles = story_shingles(text)
    return list(minhash_of(shingles, bands)), sorted(shingles)
