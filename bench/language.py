"""Language detection on a bounded prefix: how often it agrees with the whole text, and its cost.

Usage: python bench/language.py [EVAL_DIR]   (EVAL_DIR defaults to ../shared/eval)

Texts are newsflow's own extractions of the zyte/, trafilatura/ and fr/ pages plus the seeds, so the
lengths and languages are those the pipeline meets. For each prefix length the table gives the share
of texts whose detected language equals the one detected on the whole text, and ms per text.
"""

from __future__ import annotations

import gzip
import time
from pathlib import Path

from langdetect import DetectorFactory, detect_langs
from langdetect.lang_detect_exception import LangDetectException

from newsflow.document.language import MAX_DETECT_CHARS
from newsflow.document.page import declared_charset, decode_bytes
from newsflow.extract import extract_text
from newsflow.settings import PROJECT_DIR

from common import eval_dir_from_args

PREFIXES = (500, 1000, 1500, 2000, 3000, 5000)


def page_texts(eval_dir: Path) -> list[str]:
    texts = [path.read_text(encoding="utf-8") for path in sorted((PROJECT_DIR / "seeds").glob("*.txt"))]
    paths = [
        *sorted((eval_dir / "zyte" / "html").glob("*.gz")),
        *sorted((eval_dir / "trafilatura" / "html").glob("*.gz")),
        *sorted((eval_dir / "fr").glob("*.html")),
    ]
    for path in paths:
        data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
        html = decode_bytes(data, declared_charset(data))[0]
        if html:
            texts.append(extract_text(html))
    return [text for text in texts if text.strip()]


def detect(text: str) -> str | None:
    DetectorFactory.seed = 0
    try:
        return detect_langs(text)[0].lang
    except LangDetectException:
        return None


def main() -> None:
    texts = page_texts(eval_dir_from_args(__doc__.splitlines()[0]))
    whole = [detect(text) for text in texts]
    long = sum(1 for text in texts if len(text) > min(PREFIXES))
    print(
        f"{len(texts)} texts ({long} longer than {min(PREFIXES)} characters); newsflow uses {MAX_DETECT_CHARS}"
    )
    print(f"{'prefix':>7} {'agree':>7} {'ms/text':>8}")
    for prefix in PREFIXES:
        start = time.perf_counter()
        found = [detect(text[:prefix]) for text in texts]
        elapsed = (time.perf_counter() - start) / len(texts) * 1000
        agree = sum(a == b for a, b in zip(found, whole, strict=True)) / len(texts)
        print(f"{prefix:>7} {agree:7.3f} {elapsed:8.1f}")
    start = time.perf_counter()
    for text in texts:
        detect(text)
    print(f"{'whole':>7} {1:7.3f} {(time.perf_counter() - start) / len(texts) * 1000:8.1f}")


if __name__ == "__main__":
    main()
