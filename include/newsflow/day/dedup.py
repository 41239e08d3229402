"""Duplicates across a day and its history: exact copies by their content hash, near-duplicate
stories by MinHash LSH over the signatures each article got in its shard
(`document.signatures`), kept in the lake's `signatures` dataset when it is published, so later
days compare against stored signatures instead of re-reading and re-shingling the history.
"""

from __future__ import annotations

import tempfile

import duckdb
import numpy as np
import pyarrow as pa

from newsflow.schema import SIGNATURE_SCHEMA

# DuckDB's share of the candidate join; beyond it, the join spills to a temporary folder.
STORY_JOIN_MEMORY = "512MB"


def assign_story_ids(new: pa.Table, earlier: pa.Table, min_jaccard: float) -> list[str]:
    """The story of each `new` article: that of the first earlier or same-day article it nearly
    duplicates, else its own id.

    Both tables have `article_id`, `story_id` (null for new articles), `minhash` and `shingles`,
    in order (earlier days first). LSH with one MinHash row per band: two articles are candidates
    when any band value agrees (a join in DuckDB, capped in memory, which scales with the window
    and not with Python objects). Each new article's candidates are confirmed oldest first with
    the exact Jaccard of the shingle sets against `min_jaccard`, stopping at the first that holds,
    so a cluster of n copies costs about n checks, not n²; LSH only costs time, never a wrong
    merge. Order decides ties, so re-runs give the same ids; `earlier` may be only the history, or
    any superset of the articles that can match.
    """
    schema = pa.schema(
        [SIGNATURE_SCHEMA.field(name) for name in ("article_id", "story_id", "minhash", "shingles")]
    )
    offset = earlier.num_rows
    signatures = pa.concat_tables([table.select(schema.names).cast(schema) for table in (earlier, new)])
    bands = pa.table(
        {"ord": pa.array(range(signatures.num_rows), pa.int64()), "minhash": signatures.column("minhash")}
    )
    with (
        tempfile.TemporaryDirectory(prefix="newsflow-stories-") as spill,
        duckdb.connect(
            config={"memory_limit": STORY_JOIN_MEMORY, "temp_directory": spill, "threads": 1}
        ) as con,
    ):
        con.register("signatures", bands)
        pairs = con.execute(
            """
            with bands as (
                select ord, generate_subscripts(minhash, 1) as band, unnest(minhash) as value from signatures
            )
            select distinct n.ord as new_ord, o.ord as old_ord
            from bands as n join bands as o on n.band = o.band and n.value = o.value and o.ord < n.ord
            where n.ord >= $offset
            order by new_ord, old_ord
            """,
            {"offset": offset},
        ).fetchnumpy()
    shingles = signatures.column("shingles").combine_chunks()
    starts: np.ndarray = shingles.offsets.to_numpy()
    values: np.ndarray = shingles.values.to_numpy()

    def shingles_of(ord_: int) -> np.ndarray:
        return values[starts[ord_] : starts[ord_ + 1]]

    candidates: dict[int, list[int]] = {}
    for new_ord, old_ord in zip(pairs["new_ord"].tolist(), pairs["old_ord"].tolist(), strict=True):
        candidates.setdefault(new_ord, []).append(old_ord)
    ids = signatures.column("article_id").to_pylist()
    stories = [story or ids[i] for i, story in enumerate(earlier.column("story_id").to_pylist())]
    for ord_ in range(offset, len(ids)):  # in order: a same-day match already has its story
        own = shingles_of(ord_)
        match = next(
            (old for old in candidates.get(ord_, ()) if jaccard(own, shingles_of(old)) >= min_jaccard), None
        )
        stories.append(stories[match] if match is not None else ids[ord_])
    return stories[offset:]


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Jaccard similarity of two sorted arrays of distinct shingle hashes."""
    if not len(a) or not len(b):
        return 0.0
    shared = len(np.intersect1d(a, b, assume_unique=True))
    return shared / (len(a) + len(b) - shared)
