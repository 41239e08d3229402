"""Teaser leaks on French news pages: does the extraction keep the article and drop the
"Lire aussi" / "Sur le même sujet" blocks? trafilatura default vs newsflow.

Usage: python bench/teasers.py [EVAL_DIR]   (EVAL_DIR defaults to ../shared/eval; reads fr/)

Per method: pages whose output still contains a teaser marker, `with` snippets kept (of all), and
`without` snippets leaked (of all), from fr/manifest.json.
"""

from __future__ import annotations

import json
import re

from common import eval_dir_from_args, newsflow_text, run_timed, trafilatura_default

# The markers the manifest lists, as whole phrases; matched case-insensitively, ignoring accents on "a".
TEASER_MARKER = re.compile(
    r"\b(?:[àa] lire aussi|lire aussi|sur le m[êe]me sujet|les plus lus|articles similaires|[àa] d[ée]couvrir)\b",
    re.IGNORECASE,
)

METHODS = {"trafilatura default": trafilatura_default, "newsflow": newsflow_text}


def main() -> None:
    fr = eval_dir_from_args(__doc__.splitlines()[0]) / "fr"
    manifest = json.loads((fr / "manifest.json").read_text(encoding="utf-8"))
    names = sorted(manifest)
    pages = [
        ((fr / name).read_text(encoding="utf-8", errors="replace"), manifest[name].get("url"))
        for name in names
    ]
    n_with = sum(len(manifest[n].get("gold_snippets", {}).get("with", [])) for n in names)
    n_without = sum(len(manifest[n].get("gold_snippets", {}).get("without", [])) for n in names)
    print(f"{len(pages)} pages from {fr}; {n_with} 'with' and {n_without} 'without' snippets")
    print(f"{'method':<22} {'teaser leaks':>12} {'with kept':>10} {'without leaked':>15} {'docs/s':>7}")
    for method_name, (outputs, speed) in run_timed(METHODS, pages).items():
        leaks, kept, leaked = [], 0, 0
        for name, text in zip(names, outputs, strict=True):
            snippets = manifest[name].get("gold_snippets", {})
            if TEASER_MARKER.search(text):
                leaks.append(f"{name}: {TEASER_MARKER.search(text).group(0)!r}")
            kept += sum(1 for s in snippets.get("with", []) if s in text)
            leaked += sum(1 for s in snippets.get("without", []) if s in text)
        print(
            f"{method_name:<22} {len(leaks):>12} {kept:>6}/{n_with:<3} {leaked:>11}/{n_without:<3} {speed:7.1f}"
        )
        for leak in leaks:
            print(f"    leak: {leak}")


if __name__ == "__main__":
    main()
