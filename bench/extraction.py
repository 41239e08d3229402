"""Article-body extraction quality on both development sets: trafilatura default, trafilatura
favor_precision, trafilatura default with its metadata (the work newsflow does: title, author,
site, date) and newsflow side by side, each set with its own metric, and docs/s.

Usage: python bench/extraction.py [--update] [EVAL_DIR]   (EVAL_DIR defaults to ../shared/eval;
reads zyte/ and trafilatura/). --update re-pins newsflow's figures in bench/floors.json, the floors
the quality gate (tests/test_quality_gate.py) holds extraction to: do it on purpose, when a change
is meant to move them, and say so in the commit.

zyte/ (scrapinghub article-extraction-benchmark): `\\w+` tokens, 4-token shingles counted as
multisets; per page tp/fp/fn normalised to sum 1; precision and recall are means over pages (pages
with an empty prediction left out of precision); F1 is the harmonic mean of the two means.
trafilatura/ (trafilatura's tests/eval_common.py): whitespace squashed; a `with` snippet found in
the output is a true positive (else a false negative), a `without` snippet found a false positive;
precision, recall and F1 over the counts pooled across pages.
On both sets, `teaser%` is the mean share of the output in teaser text, found by structure rather
than by label (common.teaser_share), and `>10%` the pages with more than a tenth of it; the last
line of each set is newsflow's docs/s against trafilatura's default call (the SPEED_TARGET) and
against trafilatura with its metadata.
"""

from __future__ import annotations

from pathlib import Path

from common import (
    FLOORS_FILE,
    corpus_pages,
    corpus_scores,
    eval_arg_parser,
    leak_figures,
    newsflow_text,
    parse_eval_args,
    run_timed,
    trafilatura_default,
    trafilatura_precision,
    trafilatura_with_metadata,
    write_floors,
    zyte_pages,
    zyte_scores,
)

# newsflow's docs/s against trafilatura's default single call, page by page in one process.
SPEED_TARGET = 1.5
METHODS = {
    "trafilatura default": trafilatura_default,
    "trafilatura favor_precision": trafilatura_precision,
    "trafilatura with metadata": trafilatura_with_metadata,
    "newsflow": newsflow_text,
}


def trafilatura_corpus(eval_dir: Path) -> tuple[float, float, float]:
    """Prints the table of trafilatura/; newsflow's (precision, recall, F1)."""
    pages, expected = corpus_pages(eval_dir)
    print(f"\n{len(pages)} pages from {eval_dir / 'trafilatura'}")
    print(f"{'method':<30} {'F1':>6} {'prec':>6} {'recall':>6} {'docs/s':>7} {'teaser%':>7} {'>10%':>5}")
    figures, speeds = {}, {}
    for name, (predictions, speed) in run_timed(METHODS, pages).items():
        precision, recall, f1, _ = corpus_scores(predictions, expected)
        figures[name], speeds[name] = (precision, recall, f1), speed
        print(
            f"{name:<30} {f1:6.3f} {precision:6.3f} {recall:6.3f} {speed:7.1f} {leak_figures(pages, predictions)}"
        )
    print(speed_line(speeds))
    return figures["newsflow"]


def speed_line(speeds: dict[str, float]) -> str:
    """newsflow's docs/s against trafilatura's single call (the target) and with its metadata
    (the same work: newsflow reads title, author, site and date too)."""
    default = speeds["newsflow"] / speeds["trafilatura default"]
    with_metadata = speeds["newsflow"] / speeds["trafilatura with metadata"]
    verdict = "met" if default >= SPEED_TARGET else "not met"
    return (
        f"newsflow speed: {default:.2f}x trafilatura default (target >= {SPEED_TARGET}x: {verdict}), "
        f"{with_metadata:.2f}x trafilatura with metadata"
    )


def main() -> None:
    parser = eval_arg_parser(__doc__.splitlines()[0])
    parser.add_argument(
        "--update",
        action="store_true",
        help=f"re-pin newsflow's figures in {FLOORS_FILE.name} (a deliberate change of the quality floors)",
    )
    args = parse_eval_args(parser)
    eval_dir = args.eval_dir
    zyte = eval_dir / "zyte"
    pages, gold = zyte_pages(eval_dir)
    print(f"{len(pages)} pages from {zyte}")
    print(
        f"{'method':<30} {'F1':>6} {'prec':>6} {'recall':>6} {'docs/s':>7} {'empty':>6} {'teaser%':>7} {'>10%':>5}"
    )
    figures, speeds = {}, {}
    for name, (predictions, speed) in run_timed(METHODS, pages).items():
        precision, recall, f1 = zyte_scores(predictions, gold)
        figures[name], speeds[name] = (precision, recall, f1), speed
        empty = sum(1 for p in predictions if not p.strip())
        leaks = leak_figures(pages, predictions)
        print(f"{name:<30} {f1:6.3f} {precision:6.3f} {recall:6.3f} {speed:7.1f} {empty:6d} {leaks}")
    print(speed_line(speeds))
    corpus = trafilatura_corpus(eval_dir)
    if args.update:
        write_floors({"zyte": figures["newsflow"], "trafilatura": corpus})
        print(f"\nre-pinned newsflow's floors in {FLOORS_FILE}")


if __name__ == "__main__":
    main()
