"""Story clustering (near-duplicate syndication) on reprints made from the evaluation pages.

Usage: python bench/stories.py [EVAL_DIR]   (EVAL_DIR defaults to ../shared/eval)

Originals: the gold article bodies of zyte/ (English) and the newsflow extractions of fr/ and
dates/ (French), plus the seeds. Each original gets reprints as syndication makes them: a new title
and a partner site's template lines around the text, a third of the sentences cut, the paragraphs
reordered, only the first 40 % (a wire's short version), and half the sentences cut with the rest
shuffled. No machine translation runs offline here, so no translated-and-back reprint. Labelled
"different story": every other pair, among them real same-topic pairs written by different
newsrooms (the storm Ciaran pages of 20minutes and Le Parisien; the seeds' NATO articles, whose
000/004 are one interview translated twice and so one story).

For each threshold, every document runs through newsflow's own clustering (dedup.assign_story_ids:
MinHash LSH candidates, exact Jaccard confirmation) in a fixed shuffled order, and the resulting
story ids are scored pairwise: precision = same-story pairs that are labelled so, recall = labelled
pairs found. Prints the curve and the Jaccard of the hardest pairs of each kind.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

import numpy as np
import pyarrow as pa

from newsflow.day import dedup
from newsflow.document.page import declared_charset, decode_bytes
from newsflow.document.signatures import story_shingles, story_signature
from newsflow.extract import extract_text
from newsflow.settings import PROJECT_DIR, Settings

from common import eval_dir_from_args

THRESHOLDS = (0.02, 0.03, 0.04, 0.05, 0.06, 0.08, 0.10, 0.12, 0.15, 0.20, 0.30, 0.50)
SEED = 20241129
# Pages of one event written by different newsrooms: same topic, different stories.
SAME_EVENT = ("20minutes.fr-Ciaran.html", "leparisien.fr-Ciaran.html")
# The seeds: 000 and 004 are two translations of one Telegraph interview.
SEED_STORY = {"000": "seeds-telegraph", "004": "seeds-telegraph"}
_SENTENCE = re.compile(r"(?<=[.!?…»])\s+(?=[«\"A-ZÀ-Ý0-9])")


@dataclass(frozen=True, slots=True)
class Doc:
    doc_id: str
    story: str  # the label: documents of one story share it
    kind: str  # original, or the reprint transformation
    text: str


def originals(eval_dir: Path) -> list[Doc]:
    gold = json.loads((eval_dir / "zyte" / "gold.json").read_text(encoding="utf-8"))
    docs = [Doc(f"zyte/{key}", f"zyte/{key}", "original", item["text"]) for key, item in sorted(gold.items())]
    french = {
        path.name: path for folder in ("fr", "dates") for path in sorted((eval_dir / folder).glob("*.html"))
    }
    for name, path in sorted(french.items()):
        data = path.read_bytes()
        text = extract_text(decode_bytes(data, declared_charset(data))[0] or "")
        docs.append(Doc(f"fr/{name}", f"fr/{name}", "original", text))
    for path in sorted((PROJECT_DIR / "seeds").glob("*.txt")):
        prefix = path.name[:3]
        story = SEED_STORY.get(prefix, f"seeds/{prefix}")
        docs.append(Doc(f"seeds/{prefix}", story, "original", path.read_text(encoding="utf-8")))
    return [doc for doc in docs if len(doc.text) >= Settings().min_text_chars]


def reprints(doc: Doc, rng: random.Random) -> list[Doc]:
    """The reprints of one original, each labelled with its story."""
    paragraphs = [p for p in doc.text.split("\n") if p.strip()]
    sentences = [s for p in paragraphs for s in _SENTENCE.split(p) if s.strip()]

    def keep(share: float) -> list[str]:
        kept = sorted(rng.sample(range(len(sentences)), max(1, round(len(sentences) * share))))
        return [sentences[i] for i in kept]

    shuffled = paragraphs[:]
    rng.shuffle(shuffled)
    half = keep(0.5)
    rng.shuffle(half)
    site = rng.choice(("Le Journal du Soir", "Daily Courier", "La Gazette", "Morning Post"))
    variants = {
        "retitled": "\n".join(
            [
                f"{site} | Breaking: what we know",
                f"By {site} staff",
                *paragraphs,
                f"© {site}. Share this article.",
            ]
        ),
        "cut_third": " ".join(keep(2 / 3)),
        "reordered": "\n".join(shuffled),
        "lead_40pct": doc.text[: int(len(doc.text) * 0.4)],
        "cut_half_shuffled": " ".join(half),
    }
    return [Doc(f"{doc.doc_id}#{kind}", doc.story, kind, text) for kind, text in variants.items()]


def cluster(docs: list[Doc], threshold: float, bands: int) -> list[str]:
    """Story ids from newsflow's clustering, all documents as one day in the given order."""
    signatures = [story_signature(doc.text, bands) for doc in docs]
    new = pa.table(
        {
            "article_id": [doc.doc_id for doc in docs],
            "story_id": pa.nulls(len(docs), pa.string()),
            "minhash": [s[0] for s in signatures],
            "shingles": [s[1] for s in signatures],
        }
    )
    return dedup.assign_story_ids(new, new.slice(0, 0), threshold)


def pairwise_scores(labels: list[str], predicted: list[str]) -> tuple[float, float, int, int]:
    """(precision, recall, false merges, missed pairs) over all document pairs."""
    tp = fp = fn = 0
    for i, j in combinations(range(len(labels)), 2):
        same, said = labels[i] == labels[j], predicted[i] == predicted[j]
        tp += same and said
        fp += said and not same
        fn += same and not said
    return tp / max(tp + fp, 1), tp / max(tp + fn, 1), fp, fn


def hardest_pairs(docs: list[Doc]) -> None:
    """The lowest Jaccard of each reprint kind with its original; the highest between different stories."""
    shingles = {doc.doc_id: np.array(sorted(story_shingles(doc.text)), dtype=np.uint32) for doc in docs}
    by_id = {doc.doc_id: doc for doc in docs}
    lowest: dict[str, list[float]] = {}
    for doc in docs:
        if doc.kind != "original":
            original = doc.doc_id.split("#")[0]
            lowest.setdefault(doc.kind, []).append(dedup.jaccard(shingles[doc.doc_id], shingles[original]))
    print("Jaccard of reprints with their original (min / 5th percentile / median):")
    for kind, values in lowest.items():
        print(f"  {kind:18} {min(values):.3f} / {np.percentile(values, 5):.3f} / {np.median(values):.3f}")
    originals_ = [doc for doc in docs if doc.kind == "original"]
    negatives = sorted(
        (
            (dedup.jaccard(shingles[a.doc_id], shingles[b.doc_id]), a.doc_id, b.doc_id)
            for a, b in combinations(originals_, 2)
            if a.story != b.story
        ),
        reverse=True,
    )
    print("Highest Jaccard between originals of different stories:")
    for value, a, b in negatives[:5]:
        print(f"  {value:.3f}  {a}  {b}")
    same_event = [f"fr/{name}" for name in SAME_EVENT]
    if all(doc_id in by_id for doc_id in same_event):
        value = dedup.jaccard(shingles[same_event[0]], shingles[same_event[1]])
        print(f"Same event, two newsrooms ({' / '.join(SAME_EVENT)}): {value:.3f}")


def main() -> None:
    eval_dir = eval_dir_from_args(__doc__.splitlines()[0])
    rng = random.Random(SEED)
    docs = []
    for original in originals(eval_dir):
        docs += [original, *reprints(original, rng)]
    rng.shuffle(docs)  # reprints arrive before and after their original
    labels = [doc.story for doc in docs]
    n_positive = sum(a == b for a, b in combinations(labels, 2))
    print(f"{len(docs)} documents, {len(set(labels))} stories, {n_positive} same-story pairs\n")
    hardest_pairs(docs)
    bands = Settings().story_lsh_bands
    print(f"\nPairwise story clustering (newsflow's LSH with {bands} bands + exact Jaccard):")
    print("| min Jaccard | precision | recall | F1 | false merges | missed pairs |")
    print("|---|---|---|---|---|---|")
    for threshold in THRESHOLDS:
        precision, recall, false_merges, missed = pairwise_scores(labels, cluster(docs, threshold, bands))
        f1 = 2 * precision * recall / max(precision + recall, 1e-9)
        marker = " (current)" if threshold == Settings().story_min_jaccard else ""
        print(
            f"| {threshold:.2f}{marker} | {precision:.3f} | {recall:.3f} | {f1:.3f} | {false_merges} | {missed} |"
        )


if __name__ == "__main__":
    main()
