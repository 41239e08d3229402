"""What the benchmark scripts share: where the evaluation pages are, and timing a method over them."""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Sequence
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


def run_timed(method: Callable[[Item], Result], items: Sequence[Item]) -> tuple[list[Result], float]:
    """Results of `method` on every item, and the items per second it managed."""
    start = time.perf_counter()
    results = [method(item) for item in items]
    return results, len(items) / (time.perf_counter() - start)


# The extractors compared, each on a (html, url) page.
def trafilatura_default(page: tuple[str, str | None]) -> str:
    return trafilatura.extract(page[0], url=page[1]) or ""


def trafilatura_precision(page: tuple[str, str | None]) -> str:
    return trafilatura.extract(page[0], url=page[1], favor_precision=True) or ""


def newsflow_text(page: tuple[str, str | None]) -> str:
    return extract_text(page[0], page[1])
