"""Publication-date accuracy on the French pages of dates/: htmldate's default call vs newsflow.

Usage: python bench/dates.py [EVAL_DIR]   (EVAL_DIR defaults to ../shared/eval; reads dates/)

newsflow prefers the original publication date, looks at metadata, then the URL, then the text,
and rejects dates before 1995 or after the fetch time. The "source" column counts where
newsflow's dates came from.
"""

from __future__ import annotations

import json
from collections import Counter

from htmldate import find_date

from newsflow.document.extract import extract_html
from newsflow.document.page import declared_charset, decode_bytes

from common import eval_dir_from_args, run_timed


def main() -> None:
    dates_dir = eval_dir_from_args(__doc__.splitlines()[0]) / "dates"
    expected = json.loads((dates_dir / "expected_dates.json").read_text(encoding="utf-8"))
    names = sorted(expected)
    pages = []
    for name in names:
        data = (dates_dir / name).read_bytes()
        pages.append((decode_bytes(data, declared_charset(data))[0] or "", expected[name]["url"]))
    print(f"{len(pages)} pages from {dates_dir}")
    timed = run_timed(
        {
            "htmldate": lambda page: find_date(page[0], url=page[1]),
            "newsflow": lambda page: extract_html(page[0], page[1]),
        },
        pages,
    )
    (htmldate_found, htmldate_speed), (newsflow_found, newsflow_speed) = timed["htmldate"], timed["newsflow"]
    truth = [expected[name]["date"] for name in names]
    htmldate_right = sum(found == want for found, want in zip(htmldate_found, truth, strict=True))
    newsflow_right = sum(str(e.published_date) == want for e, want in zip(newsflow_found, truth, strict=True))
    print(f"{'method':<24} {'correct':>8} {'accuracy':>9} {'docs/s':>7}")
    print(
        f"{'htmldate default':<24} {htmldate_right:>5}/{len(truth):<2} {htmldate_right / len(truth):9.2f} {htmldate_speed:7.1f}"
    )
    print(
        f"{'newsflow':<24} {newsflow_right:>5}/{len(truth):<2} {newsflow_right / len(truth):9.2f} {newsflow_speed:7.1f}"
        "  (full extraction, not dates alone)"
    )
    print("newsflow date sources:", dict(Counter(e.published_date_source for e in newsflow_found)))
    for name, want, old, new in zip(names, truth, htmldate_found, newsflow_found, strict=True):
        if str(new.published_date) != want:
            print(
                f"    miss: {name}: expected {want}, newsflow {new.published_date} ({new.published_date_source}),"
                f" htmldate {old}"
            )


if __name__ == "__main__":
    main()
