"""Is this page an article? newsflow's page-type classifier on labelled pages: precision, recall and
F1 of "is an article", the confusion by kind, and the pages it gets wrong, with their evidence.

Usage: python bench/page_types.py [EVAL_DIR]   (EVAL_DIR defaults to ../shared/eval)

The pages: bench/data/page_types (non-articles and some articles from public test suites and
web archives, each labelled by hand in labels.csv) and every page of EVAL_DIR's zyte/,
trafilatura/, fr/ and dates/, articles unless eval_labels.csv (in the same folder) says
otherwise. Figures are given with and without those relabels, on all pages and on each half of a
split by a stable hash of the page's name: the thresholds in newsflow.document.page_type were
tuned on half A, half B is held out. The text classified is extract_html's, as in the pipeline.
Last, the classifier's own cost per page on zyte/ (signals and classification, parsing and
extraction excluded), in milliseconds.
"""

from __future__ import annotations

import csv
import gzip
import json
import time
import zlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from newsflow.document.extract import extract_html, parse_page
from newsflow.document.page import declared_charset, decode_bytes
from newsflow.document.page_type import ARTICLE, KINDS, PageType, classify_page, read_page_signals

from common import TIMED_PASSES, corpus_pages, eval_dir_from_args, zyte_pages

PAGE_TYPES_DIR = Path(__file__).resolve().parent / "data" / "page_types"
TUNING_HALF = "A"


@dataclass(frozen=True)
class Page:
    name: str  # the file in bench/data/page_types, or folder/file in EVAL_DIR
    html: str
    url: str | None
    label: str  # ARTICLE or the kind of non-article


def labelled_pages() -> list[Page]:
    """The pages of bench/data/page_types, as labels.csv labels them."""
    with (PAGE_TYPES_DIR / "labels.csv").open(encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file))
    return [
        Page(
            row["file"],
            _decode(gzip.decompress((PAGE_TYPES_DIR / row["file"]).read_bytes())),
            row["url"] or None,
            row["label"],
        )
        for row in rows
    ]


def eval_pages(eval_dir: Path) -> list[Page]:
    """Every page of zyte/, trafilatura/, fr/ and dates/, all labelled ARTICLE."""
    zyte, _ = zyte_pages(eval_dir)
    zyte_ids = sorted(json.loads((eval_dir / "zyte" / "gold.json").read_text(encoding="utf-8")))
    pages = [Page(f"zyte/{i}", html, url, ARTICLE) for i, (html, url) in zip(zyte_ids, zyte, strict=True)]
    corpus, _ = corpus_pages(eval_dir)
    expected = json.loads((eval_dir / "trafilatura" / "evaldata.json").read_text(encoding="utf-8"))
    files = [expected[key]["file"] for key in sorted(expected)]
    pages += [
        Page(f"trafilatura/{f}", html, url, ARTICLE) for f, (html, url) in zip(files, corpus, strict=True)
    ]
    for folder, manifest_name in (("fr", "manifest.json"), ("dates", "expected_dates.json")):
        manifest = json.loads((eval_dir / folder / manifest_name).read_text(encoding="utf-8"))
        for name in sorted(manifest):
            html = (eval_dir / folder / name).read_text(encoding="utf-8", errors="replace")
            pages.append(Page(f"{folder}/{name}", html, manifest[name].get("url"), ARTICLE))
    return pages


def eval_relabels() -> dict[str, str]:
    """Pages of EVAL_DIR that are not articles, by hand (eval_labels.csv): page -> kind."""
    with (PAGE_TYPES_DIR / "eval_labels.csv").open(encoding="utf-8", newline="") as file:
        return {row["page"]: row["label"] for row in csv.DictReader(file)}


def classify(page: Page) -> PageType:
    """The page's type as the pipeline would find it: signals from the pristine tree, the
    extracted text."""
    tree = parse_page(page.html)
    if tree is None:
        return PageType("unparsable", "not HTML")
    return classify_page(read_page_signals(tree, page.url), extract_html(page.html, page.url).text, page.url)


def half(name: str) -> str:
    """A or B, stably by the page's name."""
    return "AB"[zlib.crc32(name.encode("utf-8")) % 2]


def scores(results: list[tuple[Page, PageType]]) -> str:
    """Precision, recall and F1 of "is an article", with the counts."""
    tp = sum(1 for page, found in results if page.label == ARTICLE and found.is_article)
    fp = sum(1 for page, found in results if page.label != ARTICLE and found.is_article)
    fn = sum(1 for page, found in results if page.label == ARTICLE and not found.is_article)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    articles = sum(1 for page, _ in results if page.label == ARTICLE)
    return (
        f"P {precision:.3f}  R {recall:.3f}  F1 {f1:.3f}   "
        f"({articles} articles, {len(results) - articles} others; {fp} false, {fn} missed)"
    )


def report(results: list[tuple[Page, PageType]], title: str) -> None:
    """The scores on all pages and on each half."""
    print(f"\n{title}")
    print(f"  {'all':<22} {scores(results)}")
    for name in "AB":
        role = "tuned on" if name == TUNING_HALF else "held out"
        print(f"  {f'half {name} ({role})':<22} {scores([r for r in results if half(r[0].name) == name])}")


def confusion(results: list[tuple[Page, PageType]]) -> None:
    """Label (rows) by kind found (columns)."""
    found_kinds = [kind for kind in KINDS if any(r[1].kind == kind for r in results)]
    counts = Counter((page.label, found.kind) for page, found in results)
    print(f"\n{'label / found':<14}" + "".join(f"{kind:>9}" for kind in found_kinds))
    for label in KINDS:
        if any(page.label == label for page, _ in results):
            print(f"{label:<14}" + "".join(f"{counts[label, kind] or '':>9}" for kind in found_kinds))


def mistakes(results: list[tuple[Page, PageType]]) -> None:
    """Each page whose "is an article" is wrong, with the evidence."""
    wrong = [(page, found) for page, found in results if (page.label == ARTICLE) != found.is_article]
    print(f"\n{len(wrong)} pages wrong on 'is an article' (label -> found: evidence):")
    for page, found in sorted(wrong, key=lambda r: (r[0].label != ARTICLE, r[0].name)):
        print(f"  {page.name} [{page.url or 'no url'}] {page.label} -> {found.kind}: {found.evidence}")


def cost_per_page(eval_dir: Path) -> float:
    """Milliseconds per zyte/ page of read_page_signals and classify_page (fastest of TIMED_PASSES),
    on trees parsed and texts extracted beforehand."""
    pages, _ = zyte_pages(eval_dir)
    prepared = [
        (tree, url, extract_html(html, url).text)
        for html, url in pages
        if (tree := parse_page(html)) is not None
    ]
    best = float("inf")
    for _ in range(TIMED_PASSES):
        start = time.perf_counter()
        for tree, url, text in prepared:
            classify_page(read_page_signals(tree, url), text, url)
        best = min(best, time.perf_counter() - start)
    return 1000 * best / len(prepared)


def _decode(raw: bytes) -> str:
    return decode_bytes(raw, declared_charset(raw[:4096]))[0] or ""


def main() -> None:
    eval_dir = eval_dir_from_args(__doc__.splitlines()[0])
    pages = labelled_pages() + eval_pages(eval_dir)
    results = [(page, classify(page)) for page in pages]
    relabels = eval_relabels()
    relabelled = [(Page(p.name, p.html, p.url, relabels.get(p.name, p.label)), found) for p, found in results]
    print(f"{len(pages)} pages: {PAGE_TYPES_DIR} and {eval_dir} (zyte/, trafilatura/, fr/, dates/)")
    report(results, "eval pages all taken as articles:")
    report(relabelled, f"with the {len(relabels)} eval pages of eval_labels.csv relabelled:")
    confusion(relabelled)
    mistakes(relabelled)
    print(
        f"\nclassifier cost on zyte/: {cost_per_page(eval_dir):.2f} ms per page (signals and classification)"
    )


if __name__ == "__main__":
    main()
