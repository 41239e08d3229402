"""The extraction quality gate (as trafilatura's eval_gate): newsflow's `extract_text` over every page of
both development sets in ../shared/eval, scored with the benchmark's own metrics (bench/common.py),
must not fall more than epsilon below the floors pinned in bench/floors.json. A change meant to move
them re-pins them on purpose: `.venv/bin/python bench/extraction.py --update`."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from newsflow.extract import extract_text

# The benchmark's folder goes last on the path, so its scripts never shadow an installed module.
sys.path.append(str(Path(__file__).resolve().parent.parent / "bench"))
from common import (  # noqa: E402
    DEFAULT_EVAL_DIR,
    FLOORS_FILE,
    corpus_pages,
    corpus_scores,
    load_floors,
    zyte_pages,
    zyte_scores,
)

# The figures the gate holds; precision is pinned in floors.json too, for the record.
GATED = ("f1", "recall")


def _zyte(eval_dir: Path) -> dict[str, float]:
    pages, gold = zyte_pages(eval_dir)
    precision, recall, f1 = zyte_scores([extract_text(html, url) for html, url in pages], gold)
    return {"f1": f1, "precision": precision, "recall": recall}


def _corpus(eval_dir: Path) -> dict[str, float]:
    pages, expected = corpus_pages(eval_dir)
    precision, recall, f1, _ = corpus_scores([extract_text(html, url) for html, url in pages], expected)
    return {"f1": f1, "precision": precision, "recall": recall}


# Each set: its folder's file that must exist, and newsflow's figures on it.
SETS: dict[str, tuple[str, Callable[[Path], dict[str, float]]]] = {
    "zyte": ("gold.json", _zyte),
    "trafilatura": ("evaldata.json", _corpus),
}


@pytest.fixture(scope="module")
def floors() -> dict[str, Any]:
    return load_floors()


@pytest.mark.parametrize("name", list(SETS))
def test_extraction_not_below_floors(name: str, floors: dict[str, Any]) -> None:
    manifest, measure = SETS[name]
    if not (DEFAULT_EVAL_DIR / name / manifest).is_file():
        pytest.skip(f"no evaluation set {DEFAULT_EVAL_DIR / name} on this machine (CI has ../shared/eval)")
    epsilon = floors["epsilon"]
    pinned = floors["newsflow"][name]
    figures = measure(DEFAULT_EVAL_DIR)
    below = [
        f"{metric} {figures[metric]:.4f} < floor {pinned[metric]:.4f} - epsilon {epsilon}"
        for metric in GATED
        if figures[metric] < pinned[metric] - epsilon
    ]
    assert not below, (
        f"extraction quality on {name}/ fell below its floors ({FLOORS_FILE.name}): {'; '.join(below)}. "
        f"Measured: F1 {figures['f1']:.4f}, P {figures['precision']:.4f}, R {figures['recall']:.4f}. "
        "If the drop is intended, re-pin on purpose: .venv/bin/python bench/extraction.py --update"
    )
