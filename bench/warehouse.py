"""Warehouse refresh and near-duplicate cost as history grows, on a generated lake.

Usage: python bench/warehouse.py [--days 60] [--articles 2000] [--mentions 9]

Writes DAYS days of ARTICLES articles with MENTIONS gazetteer mentions each (60 x 2,000 x 9 is
~1.1 M mention rows) straight into a temporary lake, builds the warehouse once, then times what
a night costs: loading one more day incrementally, a refresh with nothing new, the weekly
mentions of one entity, and story clustering of a day against 0 to DAYS days of stored signatures.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa

from newsflow.day import dedup
from newsflow.document.signatures import minhash_of
from newsflow.schema import (
    ARTICLE_SCHEMA,
    FETCH_LOG_SCHEMA,
    MENTION_SCHEMA,
    QUARANTINE_SCHEMA,
    SIGNATURE_SCHEMA,
)
from newsflow.settings import Settings
from newsflow.store import lake
from newsflow.warehouse.build import build_warehouse

FIRST_DAY = date(2024, 1, 1)
ENTITIES = ["nato", "russia", "ukraine", "united_states", "china", "jens_stoltenberg", "joe_biden", "france"]
BANDS = Settings().story_lsh_bands


def write_day(lake_uri: Path, day: date, articles: int, mentions: int, rng: random.Random) -> None:
    ids = [f"{day.isoformat()}-{n}" for n in range(articles)]
    table = pa.table(
        {
            "article_id": ids,
            "source": ["bench"] * articles,
            "url": [f"https://news.example/{i}" for i in ids],
            "ingest_date": [day] * articles,
            "title": [f"Title {i}" for i in ids],
            "published_date": [day - timedelta(days=rng.randrange(3)) for _ in ids],
            "published_date_source": ["metadata"] * articles,
            "language": ["en"] * articles,
            "text": [f"Article {i} " + "text " * 400 for i in ids],
            "text_chars": [2000] * articles,
            "removed": [[] for _ in ids],
            "content_hash": [f"{hash(i) & (2**63 - 1):x}" for i in ids],
            "story_id": ids,
        }
    )
    lake.write_partition(_conform(table, ARTICLE_SCHEMA), lake_uri, "articles", day)
    rows = [(i, rng.choice(ENTITIES), k) for i in ids for k in range(mentions)]
    mention_table = pa.table(
        {
            "article_id": [r[0] for r in rows],
            "entity_id": [r[1] for r in rows],
            "alias": [r[1] for r in rows],
            "matched_text": [r[1] for r in rows],
            "sentence_index": pa.array([r[2] for r in rows], pa.int32()),
            "char_offset": pa.array([r[2] * 40 for r in rows], pa.int32()),
            "in_title": [r[2] == 0 for r in rows],
            "ingest_date": [day] * len(rows),
        }
    )
    lake.write_partition(_conform(mention_table, MENTION_SCHEMA), lake_uri, "mentions", day)
    for dataset, schema in (
        ("quarantine", QUARANTINE_SCHEMA),
        ("fetch_log", FETCH_LOG_SCHEMA),
    ):
        lake.write_partition(schema.empty_table(), lake_uri, dataset, day)


def _conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    columns = [
        table.column(f.name).cast(f.type) if f.name in table.column_names else pa.nulls(len(table), f.type)
        for f in schema
    ]
    return pa.Table.from_arrays(columns, schema=schema)


def signatures(n: int, rng: random.Random, prefix: str) -> pa.Table:
    """Signatures of n unrelated ~300-shingle texts (random shingles, as distinct stories have)."""
    shingle_sets = [frozenset(rng.getrandbits(32) for _ in range(300)) for _ in range(n)]
    return pa.table(
        {
            "article_id": [f"{prefix}{k}" for k in range(n)],
            "story_id": pa.nulls(n, pa.string()),
            "minhash": pa.array(
                [list(minhash_of(s, BANDS)) for s in shingle_sets],
                SIGNATURE_SCHEMA.field("minhash").type,
            ),
            "shingles": pa.array([sorted(s) for s in shingle_sets], SIGNATURE_SCHEMA.field("shingles").type),
        }
    )


def timed(action) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--mentions", type=int, default=9)
    args = parser.parse_args()
    rng = random.Random(0)
    with tempfile.TemporaryDirectory(prefix="newsflow-warehouse-") as tmp:
        settings = Settings(data_dir=Path(tmp))
        start = time.perf_counter()
        for n in range(args.days):
            write_day(settings.lake_uri, FIRST_DAY + timedelta(days=n), args.articles, args.mentions, rng)
        print(
            f"lake of {args.days} days x {args.articles} articles written in {time.perf_counter() - start:.0f} s"
        )
        print(f"full build: {timed(lambda: build_warehouse(settings, full=True)):.1f} s")
        with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
            (mention_rows,) = con.execute("select count(*) from lake_mentions").fetchone()
        print(f"mention rows loaded: {mention_rows:,}")
        write_day(settings.lake_uri, FIRST_DAY + timedelta(days=args.days), args.articles, args.mentions, rng)
        print(f"one-day incremental refresh: {timed(lambda: build_warehouse(settings)):.2f} s")
        print(f"refresh with nothing new: {timed(lambda: build_warehouse(settings)):.2f} s")
        query = "select week_start, n_mentions, n_articles from mentions_weekly where entity_id = 'nato' order by week_start"
        with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
            print(f"weekly mentions of one entity: {timed(lambda: con.execute(query).fetchall()):.3f} s")
    new = signatures(args.articles, rng, "new")
    window = Settings().story_window_days
    print(
        f"story clustering of {args.articles} new articles against stored signatures ({window}-day window):"
    )
    for days in (0, 10, window, args.days):
        earlier = signatures(min(days, window) * args.articles, rng, f"d{days}-")
        seconds = timed(lambda e=earlier: dedup.assign_story_ids(new, e, Settings().story_min_jaccard))
        print(f"  {days:>3} days of history: {seconds:.2f} s")


if __name__ == "__main__":
    main()
