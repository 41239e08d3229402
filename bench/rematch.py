"""How long the next warehouse build takes to match the stored history again after a watchlist edit.

Builds a lake of N articles (default 100,000) whose texts are the extracted texts of the evaluation
pages (each day a different sample, each article a unique id), then times `rematch_history` after
one entity is added to the watchlist: every day is matched again. Prints articles/s and the time
for the whole history. Usage: .venv/bin/python bench/rematch.py [EVAL_DIR] [--articles N]
"""

from __future__ import annotations

import random
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import pyarrow as pa

from newsflow.day.rematch import rematch_history
from newsflow.entities import watchlist
from newsflow.extract import extract_text
from newsflow.schema import ARTICLE_SCHEMA
from newsflow.settings import Settings
from newsflow.store import lake

from common import eval_arg_parser, zyte_pages

ARTICLES_PER_DAY = 2_000


def main() -> None:
    parser = eval_arg_parser(__doc__ or "")
    parser.add_argument("--articles", type=int, default=100_000)
    args = parser.parse_args()
    texts = [text for text in (extract_text(html, url) for html, url in zyte_pages(args.eval_dir)[0]) if text]
    rng = random.Random(0)
    with tempfile.TemporaryDirectory(prefix="newsflow-rematch-") as folder:
        settings = Settings(data_dir=Path(folder))
        first = date(2024, 1, 1)
        days = -(-args.articles // ARTICLES_PER_DAY)
        for d in range(days):
            day = first + timedelta(days=d)
            n = min(ARTICLES_PER_DAY, args.articles - d * ARTICLES_PER_DAY)
            chosen = [rng.choice(texts) for _ in range(n)]
            rows = {
                "article_id": [f"{day}-{i}" for i in range(n)],
                "source": ["bench"] * n,
                "ingest_date": [day] * n,
                "title": [text.split("\n", 1)[0][:120] for text in chosen],
                "text": chosen,
            }
            table = pa.table(
                {
                    name: rows.get(name, pa.nulls(n, field.type))
                    for name, field in zip(ARTICLE_SCHEMA.names, ARTICLE_SCHEMA, strict=True)
                },
                schema=ARTICLE_SCHEMA,
            )
            lake.replace_partitions([("articles", table)], settings.lake_uri, day)
        started = time.perf_counter()
        rematch_history(settings)  # the first: every day is matched against the example watchlist
        initial = time.perf_counter() - started
        watchlist.add_entity(
            settings.entities_path, "brussels", "Brussels", "place", {"all": ["Brussels", "Bruxelles"]}
        )
        started = time.perf_counter()
        matched = rematch_history(settings)
        elapsed = time.perf_counter() - started
    print(f"{args.articles:,} articles in {days} days, {len(texts)} distinct texts")
    print(f"first match of the history: {initial:.1f} s")
    print(
        f"after a watchlist edit: {len(matched)} days matched again in {elapsed:.1f} s = {args.articles / elapsed:,.0f} articles/s"
    )


if __name__ == "__main__":
    main()
