"""Article-body extraction quality on both development sets: trafilatura default, trafilatura
favor_precision, trafilatura default with its metadata (the work newsflow does: title, author,
site, date) and newsflow side by side, each set with its own metric, and docs/s.

Usage: python bench/extraction.py [EVAL_DIR]   (EVAL_DIR defaults to ../shared/eval; reads zyte/
and trafilatura/)

zyte/ (scrapinghub article-extraction-benchmark): `\\w+` tokens, 4-token shingles counted as
multisets; per page tp/fp/fn normalised to sum 1; precision and recall are means over pages (pages
with an empty prediction left out of precision); F1 is the harmonic mean of the two means.
trafilatura/ (trafilatura's tests/eval_common.py): whitespace squashed; a `with` snippet found in
the output is a true positive (else a false negative), a `without` snippet found a false positive;
precision, recall and F1 over the counts pooled across pages.
"""

from __future__ import annotations

import gzip
import json
import re
import statistics
from collections import Counter

from newsflow.document.page import declared_charset, decode_bytes

from common import (
    eval_dir_from_args,
    newsflow_text,
    run_timed,
    trafilatura_default,
    trafilatura_precision,
    trafilatura_with_metadata,
)

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
    "trafilatura with metadata": trafilatura_with_metadata,
    "newsflow": newsflow_text,
}


def snippet_scores(expected: dict, predicted: str) -> tuple[int, int, int]:
    """(tp, fp, fn) of one page of the trafilatura corpus: its snippets found in the output or not."""
    output = " ".join(predicted.split())
    found = [" ".join(snippet.split()) in output for snippet in expected.get("with", [])]
    leaked = [" ".join(snippet.split()) in output for snippet in expected.get("without", [])]
    return sum(found), sum(leaked), len(found) - sum(found)


def trafilatura_corpus(folder) -> None:  # type: ignore[no-untyped-def]
    expected = json.loads((folder / "evaldata.json").read_text(encoding="utf-8"))
    keys = sorted(expected)
    pages = []
    for key in keys:
        raw = gzip.decompress((folder / "html" / f"{expected[key]['file']}.gz").read_bytes())
        text, _ = decode_bytes(raw, declared_charset(raw[:4096]))
        pages.append((text or "", key if key.startswith("http") else None))
    print(f"\n{len(pages)} pages from {folder}")
    print(f"{'method':<30} {'F1':>6} {'prec':>6} {'recall':>6} {'docs/s':>7}")
    for name, (predictions, speed) in run_timed(METHODS, pages).items():
        tp, fp, fn = (
            sum(c)
            for c in zip(
                *(snippet_scores(expected[k], p) for k, p in zip(keys, predictions, strict=True)), strict=True
            )
        )
        precision, recall = tp / (tp + fp), tp / (tp + fn)
        f1 = 2 * precision * recall / (precision + recall)
        print(f"{name:<30} {f1:6.3f} {precision:6.3f} {recall:6.3f} {speed:7.1f}")


def main() -> None:
    eval_dir = eval_dir_from_args(__doc__.splitlines()[0])
    zyte = eval_dir / "zyte"
    gold = json.loads((zyte / "gold.json").read_text(encoding="utf-8"))
    ids = sorted(gold)
    pages = [
        (gzip.decompress((zyte / "html" / f"{i}.html.gz").read_bytes()).decode("utf-8"), gold[i]["url"])
        for i in ids
    ]
    print(f"{len(pages)} pages from {zyte}")
    print(f"{'method':<30} {'F1':>6} {'prec':>6} {'recall':>6} {'docs/s':>7} {'empty':>6}")
    for name, (predictions, speed) in run_timed(METHODS, pages).items():
        scores = [page_scores(gold[i]["text"], p) for i, p in zip(ids, predictions, strict=True)]
        precision, recall, f1 = summarise(scores)
        empty = sum(1 for p in predictions if not p.strip())
        print(f"{name:<30} {f1:6.3f} {precision:6.3f} {recall:6.3f} {speed:7.1f} {empty:6d}")
    trafilatura_corpus(eval_dir / "trafilatura")


if __name__ == "__main__":
    main()
