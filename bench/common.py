"""What the benchmark scripts share: where the evaluation pages are, timing a method over them, and
the extraction sets' page loading, metrics and pinned floors (bench/extraction.py and the quality
gate, tests/test_quality_gate.py, score with the same functions)."""

from __future__ import annotations

import argparse
import gzip
import json
import re
import statistics
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urljoin, urlsplit

import lxml.etree
import lxml.html
import trafilatura
from tld import get_fld

from newsflow.document.clean import normalise_line
from newsflow.document.page import declared_charset, decode_bytes
from newsflow.extract import extract_text
from newsflow.settings import PROJECT_DIR

DEFAULT_EVAL_DIR = PROJECT_DIR.parent / "shared" / "eval"
# newsflow's pinned extraction figures and the noise margin the quality gate allows below them.
FLOORS_FILE = Path(__file__).resolve().parent / "floors.json"

Item = TypeVar("Item")
Result = TypeVar("Result")


def eval_arg_parser(description: str) -> argparse.ArgumentParser:
    """A command line taking the evaluation folder (default ../shared/eval); a script adds its flags."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "eval_dir",
        nargs="?",
        type=Path,
        default=DEFAULT_EVAL_DIR,
        help=f"folder of evaluation pages (default: {DEFAULT_EVAL_DIR})",
    )
    return parser


def parse_eval_args(parser: argparse.ArgumentParser) -> argparse.Namespace:
    """The parsed command line, its evaluation folder checked to exist."""
    args = parser.parse_args()
    if not args.eval_dir.is_dir():
        parser.error(f"{args.eval_dir} is not a folder; pass the path of shared/eval")
    return args


def eval_dir_from_args(description: str) -> Path:
    """The evaluation folder given on the command line (default ../shared/eval), checked to exist."""
    return parse_eval_args(eval_arg_parser(description)).eval_dir


# Items each method reads untimed first, so the one-time loading (jusText stop lists, dateparser
# locales) is not charged to whichever method runs first.
WARM_UP_ITEMS = 5
# Timed passes over the items; the fastest counts, as with timeit: the others were slowed by
# whatever else the machine was doing.
TIMED_PASSES = 3


def run_timed(
    methods: Mapping[str, Callable[[Item], Result]], items: Sequence[Item]
) -> dict[str, tuple[list[Result], float]]:
    """Each method's results on every item, and the items per second of its fastest pass after a
    warm-up. The methods take turns item by item, so a slow spell of a shared machine falls on
    all of them alike rather than on whichever ran then."""
    for method in methods.values():
        for item in items[:WARM_UP_ITEMS]:
            method(item)
    best = dict.fromkeys(methods, float("inf"))
    for _ in range(TIMED_PASSES):
        results: dict[str, list[Result]] = {name: [] for name in methods}
        elapsed = dict.fromkeys(methods, 0.0)
        for item in items:
            for name, method in methods.items():
                start = time.perf_counter()
                results[name].append(method(item))
                elapsed[name] += time.perf_counter() - start
        best = {name: min(best[name], elapsed[name]) for name in methods}
    return {name: (results[name], len(items) / best[name]) for name in methods}


# The extractors compared, each on a (html, url) page.
def trafilatura_default(page: tuple[str, str | None]) -> str:
    return trafilatura.extract(page[0], url=page[1]) or ""


def trafilatura_with_metadata(page: tuple[str, str | None]) -> str:
    """trafilatura also reading the metadata newsflow reads (title, author, site, date): the same work."""
    document = trafilatura.bare_extraction(page[0], url=page[1], with_metadata=True)
    return (document.text or "") if document is not None else ""


def trafilatura_precision(page: tuple[str, str | None]) -> str:
    return trafilatura.extract(page[0], url=page[1], favor_precision=True) or ""


def newsflow_text(page: tuple[str, str | None]) -> str:
    return extract_text(page[0], page[1])


# --- The two extraction sets: pages (html, url) in a fixed order, and their metrics ---------------

Page = tuple[str, str | None]

_TOKEN = re.compile(r"\w+")
SHINGLE_TOKENS = 4


def zyte_pages(eval_dir: Path) -> tuple[list[Page], list[str]]:
    """zyte/: the pages and their gold article texts, in the order of their sorted ids."""
    zyte = eval_dir / "zyte"
    gold = json.loads((zyte / "gold.json").read_text(encoding="utf-8"))
    ids = sorted(gold)
    pages = [
        (gzip.decompress((zyte / "html" / f"{i}.html.gz").read_bytes()).decode("utf-8"), gold[i]["url"])
        for i in ids
    ]
    return pages, [gold[i]["text"] for i in ids]


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


def zyte_scores(predictions: Sequence[str], gold: Sequence[str]) -> tuple[float, float, float]:
    """(precision, recall, F1) of predictions on zyte/, in the order of zyte_pages."""
    return summarise([page_scores(g, p) for g, p in zip(gold, predictions, strict=True)])


def corpus_pages(eval_dir: Path) -> tuple[list[Page], list[dict[str, Any]]]:
    """trafilatura/: the pages (decoded as UTF-8, else their declared charset) and their expected
    snippets ({"with": [...], "without": [...]}), in the order of their sorted keys."""
    folder = eval_dir / "trafilatura"
    expected = json.loads((folder / "evaldata.json").read_text(encoding="utf-8"))
    keys = sorted(expected)
    pages: list[Page] = []
    for key in keys:
        raw = gzip.decompress((folder / "html" / f"{expected[key]['file']}.gz").read_bytes())
        text, _ = decode_bytes(raw, declared_charset(raw[:4096]))
        pages.append((text or "", key if key.startswith("http") else None))
    return pages, [expected[k] for k in keys]


def snippet_scores(expected: dict[str, Any], predicted: str) -> tuple[int, int, int]:
    """(tp, fp, fn) of one page of the trafilatura corpus: its snippets found in the output or not."""
    output = " ".join(predicted.split())
    found = [" ".join(snippet.split()) in output for snippet in expected.get("with", [])]
    leaked = [" ".join(snippet.split()) in output for snippet in expected.get("without", [])]
    return sum(found), sum(leaked), len(found) - sum(found)


def corpus_scores(
    predictions: Sequence[str], expected: Sequence[dict[str, Any]]
) -> tuple[float, float, float, tuple[int, int, int]]:
    """(precision, recall, F1, (tp, fp, fn)) of predictions on trafilatura/, counts pooled over pages,
    in the order of corpus_pages."""
    tp, fp, fn = (
        sum(c)
        for c in zip(*(snippet_scores(e, p) for e, p in zip(expected, predictions, strict=True)), strict=True)
    )
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    return precision, recall, 2 * precision * recall / (precision + recall), (tp, fp, fn)


def load_floors(path: Path = FLOORS_FILE) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def write_floors(figures: Mapping[str, tuple[float, float, float]], path: Path = FLOORS_FILE) -> None:
    """Re-pin newsflow's figures ({set: (precision, recall, F1)}), 4 decimals; the rest is kept."""
    floors = load_floors(path)
    floors["newsflow"] = {
        name: {"f1": round(f1, 4), "precision": round(precision, 4), "recall": round(recall, 4)}
        for name, (precision, recall, f1) in figures.items()
    }
    path.write_text(json.dumps(floors, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


# --- Teaser leaks by structure, not by label ------------------------------------------------------
# Looser than newsflow's own rule (document/teaser_lists.py), so that it does not grade itself: any
# link of three words or more to another page of the same site is a headline, and two sibling
# blocks of one tag, each around one headline and short, are teasers.

MIN_MEASURED_HEADLINE_WORDS = 3
MAX_MEASURED_CARD_CHARS = 600
# Shorter output lines ("Politique", "12 mars") are not counted: they match by chance.
MIN_MEASURED_LINE_CHARS = 15
_SENTENCE_RUNS_INTO = re.compile(r"[^\W\d_][’']?,?\s*$")


def teaser_share(html: str, url: str | None, output: str) -> float:
    """Share of the output's characters in lines that are, whole, a same-site link's text or a
    sibling teaser's text (headline and summary) on the page: a leak measure that reads no label."""
    keys = "\n".join(_teaser_texts(html, url))
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    leaked = sum(
        len(line)
        for line in lines
        if len(line) >= MIN_MEASURED_LINE_CHARS and (key := normalise_line(line)) and key in keys
    )
    return leaked / sum(map(len, lines)) if lines else 0.0


def leak_figures(pages: Sequence[Page], outputs: Sequence[str]) -> str:
    """The mean teaser share of `outputs` (in percent) and the pages over a tenth, as a table's two columns."""
    shares = [teaser_share(html, url, output) for (html, url), output in zip(pages, outputs, strict=True)]
    return f"{100 * statistics.mean(shares):7.2f} {sum(share > 0.1 for share in shares):5d}"


def _teaser_texts(html: str, url: str | None) -> list[str]:
    """The normalised texts of the page's same-site headline links and of its sibling teasers."""
    try:
        tree = lxml.html.fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        return []
    site = _site_of(url)
    headlines = []
    for link in tree.iter("a"):
        href = (link.get("href") or "").strip()
        target = urljoin(url or "", href)
        if (
            href
            and not href.startswith(("#", "javascript:", "mailto:"))
            and len(link.text_content().split()) >= MIN_MEASURED_HEADLINE_WORDS
            and _site_of(target) == site
            and target.split("#")[0] != (url or "").split("#")[0]
        ):
            headlines.append(link)
    inside = Counter(ancestor for link in headlines for ancestor in link.iterancestors())
    siblings: dict[tuple[Any, str], list[Any]] = {}
    for link in headlines:
        previous = link.getprevious()
        before = (previous.tail if previous is not None else link.getparent().text) or ""
        if _SENTENCE_RUNS_INTO.search(before):  # prose cites it
            continue
        card = link
        for ancestor in link.iterancestors():
            if inside[ancestor] > 1:
                break
            card = ancestor
        siblings.setdefault((card.getparent(), card.tag), []).append(card)
    texts = [link.text_content() for link in headlines]
    texts += [
        " ".join(card.itertext())
        for cards in siblings.values()
        if len(cards) >= 2
        for card in cards
        if len(" ".join(card.text_content().split())) <= MAX_MEASURED_CARD_CHARS
    ]
    return [normalise_line(text) for text in texts]


def _site_of(url: str | None) -> str | None:
    """The registered domain of an address, else its host; None for no address (relative links only)."""
    if not url:
        return None
    return get_fld(url, fail_silently=True) or urlsplit(url).hostname
