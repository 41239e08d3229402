"""Teaser leaks on French news pages: does the extraction keep the article and drop the related
blocks, labelled ("Lire aussi", "Sur le même sujet") or not? trafilatura default vs newsflow.

Usage: python bench/teasers.py [EVAL_DIR]   (EVAL_DIR defaults to ../shared/eval; reads fr/ and dates/)

Per method, on fr/: pages whose output still contains a teaser marker, `with` snippets kept (of
all), and `without` snippets leaked (of all), from fr/manifest.json. On fr/ and dates/: the largest
share of one page's output in teaser text found by structure, whatever its label
(common.teaser_share), and the pages over a tenth (the target is none).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from common import eval_dir_from_args, newsflow_text, run_timed, teaser_share, trafilatura_default

# The markers the manifest lists, as whole phrases; matched case-insensitively, ignoring accents on "a".
TEASER_MARKER = re.compile(
    r"\b(?:[àa] lire aussi|lire aussi|sur le m[êe]me sujet|les plus lus|articles similaires|[àa] d[ée]couvrir)\b",
    re.IGNORECASE,
)
# A page with more of its output than this in teaser text leaks.
MAX_TEASER_SHARE = 0.1

METHODS = {"trafilatura default": trafilatura_default, "newsflow": newsflow_text}


def marker_leaks(fr: Path) -> None:
    """The table of fr/: teaser markers and gold snippets."""
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


def structural_leaks(eval_dir: Path) -> None:
    """The largest teaser share of a page of fr/ and dates/, and the pages over MAX_TEASER_SHARE."""
    names, pages = [], []
    for folder, manifest_name in (("fr", "manifest.json"), ("dates", "expected_dates.json")):
        manifest = json.loads((eval_dir / folder / manifest_name).read_text(encoding="utf-8"))
        for name in sorted(manifest):
            html = (eval_dir / folder / name).read_text(encoding="utf-8", errors="replace")
            names.append(f"{folder}/{name}")
            pages.append((html, manifest[name].get("url")))
    print(f"\n{len(pages)} pages from fr/ and dates/: teaser text found by structure")
    print(f"{'method':<22} {'largest share':>13} {'pages > 10 %':>13}")
    for method_name in METHODS:
        shares = [teaser_share(html, url, METHODS[method_name]((html, url))) for html, url in pages]
        over = [(share, name) for share, name in zip(shares, names, strict=True) if share > MAX_TEASER_SHARE]
        print(f"{method_name:<22} {max(shares):13.1%} {len(over):13d}")
        for share, name in sorted(over, reverse=True):
            print(f"    {share:.0%}: {name}")


def main() -> None:
    eval_dir = eval_dir_from_args(__doc__.splitlines()[0])
    marker_leaks(eval_dir / "fr")
    structural_leaks(eval_dir)


if __name__ == "__main__":
    main()
