"""Article-body extraction quality on the Zyte benchmark pages: trafilatura default, trafilatura
favor_precision and newsflow side by side, with the benchmark's own metric, and docs/s.

Usage: python bench/extraction.py [EVAL_DIR]   (EVAL_DIR defaults to ../shared/eval; reads zyte/)

Metric (scrapinghub article-extraction-benchmark): `\\w+` tokens, 4-token shingles counted as
multisets; per page tp/fp/fn normalised to sum 1; precision and recall are means over pages (pages
with an empty prediction left out of precision); F1 is the harmonic mean of the two means.
"""

from __future__ import annotations

import gzip
import json
import re
import statistics
from collections import Counter

from common import eval_dir_from_args, newsflow_text, run_timed, trafilatura_default, trafilatura_precision

_TOKEN = re.compile(r"\w+")
SHINGLE_TOKENS = 4


def shingles(text: str) -> Counter[tuple[str, ...]]:
    tokens = _TOKEN.findall(text or "")
    return Counter(
        tuple(tokens[i : i + SHINGLE_TOKENS])
        for i in range(max(1, len(tokens) - SHINGLE_TOKENS + 1))
        if tokens[i : i + SHINGLE_TOKENS]
    )


def page_scores(gold: str, predicted: str) -> tuple[float, float, float]:
    """(tp, fp, fn) of one page, normalised so they sum to 1."""
    gold_counts, predicted_counts = shingles(gold), shingles(predicted)
    tp = sum((gold_counts & predicted_counts).values())
    fp = sum((predicted_counts - gold_counts).values())
    fn = sum((gold_counts - predicted_counts).values())
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def summarise(scores: list[tuple[float, float, float]]) -> tuple[float, float, float]:
    """(precision, recall, F1) as the benchmark computes them."""

    def share(tp: float, wrong: float, other_wrong: float) -> float:
        if wrong == other_wrong == 0:  # a perfect page
            return 1.0
        return 0.0 if tp == wrong == 0 else tp / (tp + wrong)

    precision = statistics.mean(share(tp, fp, fn) for tp, fp, fn in scores if tp + fp > 0)
    recall = statistics.mean(share(tp, fn, fp) for tp, fp, fn in scores if tp + fn > 0)
    return precision, recall, 2 * precision * recall / (precision + recall)


METHODS = {
    "trafilatura default": trafilatura_default,
    "trafilatura favor_precision": trafilatura_precision,
    "newsflow": newsflow_text,
}


def main() -> None:
    zyte = eval_dir_from_args(__doc__.splitlines()[0]) / "zyte"
    gold = json.loads((zyte / "gold.json").read_text(encoding="utf-8"))
    ids = sorted(gold)
    pages = [
        (gzip.decompress((zyte / "html" / f"{i}.html.gz").read_bytes()).decode("utf-8"), gold[i]["url"])
        for i in ids
    ]
    print(f"{len(pages)} pages from {zyte}")
    print(f"{'method':<30} {'F1':>6} {'prec':>6} {'recall':>6} {'docs/s':>7} {'empty':>6}")
    for name, method in METHODS.items():
        predictions, speed = run_timed(method, pages)
        scores = [page_scores(gold[i]["text"], p) for i, p in zip(ids, predictions, strict=True)]
        precision, recall, f1 = summarise(scores)
        empty = sum(1 for p in predictions if not p.strip())
        print(f"{name:<30} {f1:6.3f} {precision:6.3f} {recall:6.3f} {speed:7.1f} {empty:6d}")


if __name__ == "__main__":
    main()
