"""Language identification of clean text with langdetect, seeded so results are deterministic."""

from __future__ import annotations

from langdetect import DetectorFactory, detect_langs
from langdetect.lang_detect_exception import LangDetectException

# langdetect is ~5 ms per 2,000 characters and settles long before; the whole text adds cost, not accuracy.
MAX_DETECT_CHARS = 5_000
# langdetect samples randomly; a fixed seed makes the same text always give the same answer.
LANGDETECT_SEED = 0


def detect_language(text: str) -> tuple[str | None, float | None]:
    """(ISO 639-1 code, probability) of the text, or (None, None) when it has no letters to judge."""
    DetectorFactory.seed = LANGDETECT_SEED
    try:
        best = detect_langs(text[:MAX_DETECT_CHARS])[0]
    except LangDetectException:
        return None, None
    return best.lang.split("-")[0], round(best.prob, 4)
