"""What the benchmark scripts share: where the evaluation pages are, and timing a method over them."""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TypeVar

import trafilatura

from newsflow.extract import extract_text
from newsflow.settings import PROJECT_DIR

DEFAULT_EVAL_DIR = PROJECT_DIR.parent / "shared" / "eval"

Item = TypeVar("Item")
Result = TypeVar("Result")


def eval_dir_from_args(description: str) -> Path:
    """The evaluation folder given on the command line (default ../shared/eval), checked to exist."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "eval_dir",
        nargs="?",
        type=Path,
        default=DEFAULT_EVAL_DIR,
        help=f"folder of evaluation pages (default: {DEFAULT_EVAL_DIR})",
    )
    eval_dir = parser.parse_args().eval_dir
    if not eval_dir.is_dir():
        parser.error(f"{eval_dir} is not a folder; pass the path of shared/eval")
    return eval_dir


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
