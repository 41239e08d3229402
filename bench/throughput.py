"""End-to-end throughput and peak memory: `newsflow ingest` against raw trafilatura on the same pages.

Usage: python bench/throughput.py [EVAL_DIR] [--docs 2000] [--runs 1] [--workers N] [--no-dates] [--pages zyte|fr]

Builds a corpus of N unique pages varied from the Zyte pages, or with --pages fr from the French
fr/ and dates/ pages (paragraphs shuffled, titles and canonical URLs changed; their numbers, and
so their dates, stay as they are; --no-dates removes every digit, so no date parses), then,
interleaved in each run: raw `trafilatura.extract` on every page in this process (seconds spent
inside the calls), and a whole `newsflow ingest --source CORPUS` process (wall time, read →
shards → lake → warehouse refresh → chart; `--no-enrich`: NER is its own step, off the ingest
path, timed by bench/entities.py), sampling the RSS of its process tree. Prints medians, and
where the first run's time went by its log: start-up, each step, warehouse refresh, chart and exit.
"""

from __future__ import annotations

import argparse
import gzip
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import trafilatura
from lxml import html as lxml_html

from newsflow.document.page import declared_charset, decode_bytes

from common import DEFAULT_EVAL_DIR

STEP_LINE = re.compile(r"^(\d+\.\d+) .*step (\w+) for")
# The last file published, and the warehouse refreshed: where the publish step ends and the refresh does.
PHASE_LINE = re.compile(r"^(\d+\.\d+) newsflow\.(?:day\.steps (published)|warehouse\.build (warehouse)) ")
# Base pages: the Zyte benchmark (mostly English), or the French pages.
CORPORA = {"zyte": ("zyte/html/*.gz",), "fr": ("fr/*.html", "dates/*.html")}


def vary(page: str, n: int, no_dates: bool) -> str:
    """A unique page with the template of `page`: its paragraphs shuffled, its title and URL changed.
    Its dates stay real (a page whose digits were shuffled has no valid date left, and its date
    search reads the whole page); with `no_dates` every digit goes."""
    rng = random.Random(n)
    tree = lxml_html.fromstring(page)
    paragraphs = [p for p in tree.iter("p") if p.text]
    texts = [p.text for p in paragraphs]
    rng.shuffle(texts)
    for p, text in zip(paragraphs, texts, strict=True):
        p.text = text
    for element in tree.iter("title", "h1"):
        element.text = f"{element.text_content()} ({n})"
    for link in tree.xpath('//link[@rel="canonical"]|//meta[@property="og:url"]'):
        attribute = "href" if link.tag == "link" else "content"
        link.set(attribute, f"{link.get(attribute, '')}?variant={n}")
    varied = lxml_html.tostring(tree, encoding="unicode")
    return re.sub(r"\d", "x", varied) if no_dates else varied


def build_corpus(eval_dir: Path, docs: int, folder: Path, no_dates: bool, corpus: str = "zyte") -> list[str]:
    paths = sorted(p for pattern in CORPORA[corpus] for p in eval_dir.glob(pattern))
    sources = []
    for path in paths:
        data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
        sources.append(decode_bytes(data, declared_charset(data))[0] or "")
    pages = []
    for n in range(docs):
        page = vary(sources[n % len(sources)], n, no_dates)
        (folder / f"page_{n:06d}.html").write_text(page, encoding="utf-8")
        pages.append(page)
    return pages


def raw_trafilatura(pages: list[str]) -> float:
    """Documents per second inside `trafilatura.extract` calls, one process."""
    spent = 0.0
    for page in pages:
        start = time.perf_counter()
        trafilatura.extract(page)
        spent += time.perf_counter() - start
    return len(pages) / spent


INGEST = """
import logging
logging.basicConfig(level=logging.INFO, format="%(created).3f %(name)s %(message)s")
for noisy in ("great_expectations", "trafilatura", "htmldate", "py.warnings"):
    logging.getLogger(noisy).setLevel(logging.ERROR)
from newsflow.cli import run
run()  # as the `newsflow` command
"""


def newsflow_ingest(corpus: Path, data: Path, workers: int) -> tuple[float, int, int, dict[str, float]]:
    """(wall seconds, peak RSS of the process tree in MB, peak RSS of one process in MB, seconds per step)."""
    command = [
        sys.executable,
        "-c",
        INGEST,
        "ingest",
        "--source",
        str(corpus),
        "--date",
        "2024-07-10",
        "--workers",
        str(workers),
        "--no-enrich",
    ]
    env = {**__import__("os").environ, "NEWSFLOW_DATA_DIR": str(data)}
    started_at = time.time()  # the log's clock
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    root = psutil.Process(process.pid)
    tree_peak = single_peak = 0
    log_lines: list[str] = []
    import threading

    reader = threading.Thread(target=lambda: log_lines.extend(process.stderr), daemon=True)
    reader.start()
    while process.poll() is None:
        try:
            members = [root, *root.children(recursive=True)]
            sizes = [m.memory_info().rss for m in members]
        except psutil.Error:
            continue
        tree_peak, single_peak = max(tree_peak, sum(sizes)), max(single_peak, max(sizes))
        time.sleep(0.2)
    wall = time.perf_counter() - start
    ended_at = time.time()
    reader.join()
    if process.returncode != 0:
        sys.exit("newsflow ingest failed:\n" + "".join(log_lines[-30:]))
    return wall, tree_peak // 2**20, single_peak // 2**20, phases(log_lines, started_at, ended_at)


def phases(log_lines: list[str], started_at: float, ended_at: float) -> dict[str, float]:
    """Seconds of each phase of a run, from its log's timestamps: start-up (imports, settings: the
    process's start to its first step), each step, the warehouse refresh (the last file published
    to the warehouse's line) and the chart with the process's exit (that line to the exit)."""
    marks = [(float(m.group(1)), f"step {m.group(2)}") for line in log_lines if (m := STEP_LINE.match(line))]
    stamps = {
        m.group(2) or m.group(3): float(m.group(1)) for line in log_lines if (m := PHASE_LINE.match(line))
    }
    ends = [*(at for at, _ in marks), stamps["published"], stamps["warehouse"], ended_at]
    names = [
        "start-up (imports, before collect)",
        *(name for _, name in marks),
        "warehouse refresh",
        "chart and exit",
    ]
    starts = [started_at, *(at for at, _ in marks), stamps["published"], stamps["warehouse"]]
    return {name: end - begin for name, begin, end in zip(names, starts, ends, strict=True)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("eval_dir", nargs="?", type=Path, default=DEFAULT_EVAL_DIR)
    parser.add_argument("--docs", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--workers", type=int, default=psutil.cpu_count() or 1)
    parser.add_argument("--no-dates", action="store_true", help="remove every digit, so no page has a date")
    parser.add_argument("--pages", choices=sorted(CORPORA), default="zyte", help="base pages to vary")
    parser.add_argument(
        "--no-anchor", action="store_true", help="skip raw trafilatura (memory runs at large N)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="newsflow-throughput-") as tmp:
        corpus = Path(tmp) / "corpus"
        corpus.mkdir()
        pages = build_corpus(args.eval_dir, args.docs, corpus, args.no_dates, args.pages)
        if args.no_anchor:
            pages = []  # the corpus is on disk; do not hold it
        raw, ours, tree_rss, single_rss, all_steps = [], [], [], [], []
        for run in range(args.runs):
            raw.append(float("nan") if args.no_anchor else raw_trafilatura(pages))
            wall, tree_peak, single_peak, steps = newsflow_ingest(
                corpus, Path(tmp) / f"data_{run}", args.workers
            )
            ours.append(args.docs / wall)
            tree_rss.append(tree_peak)
            single_rss.append(single_peak)
            all_steps.append(steps)
            print(
                f"run {run + 1}: raw trafilatura {raw[-1]:.1f} docs/s, newsflow {ours[-1]:.1f} docs/s ({wall:.0f} s)"
            )
    raw_rate, our_rate = statistics.median(raw), statistics.median(ours)
    print(
        f"\n{args.docs} pages{' without dates' if args.no_dates else ''}, {args.workers} workers, median of {args.runs}"
    )
    print(f"{'raw trafilatura docs/s':<34} {raw_rate:8.1f}")
    print(f"{'newsflow docs/s end to end':<34} {our_rate:8.1f}")
    print(f"{'ratio':<34} {our_rate / raw_rate:8.2f}x")
    print(f"{'newsflow peak RSS, process tree':<34} {statistics.median(tree_rss):8.0f} MB")
    print(f"{'newsflow peak RSS, largest process':<34} {statistics.median(single_rss):8.0f} MB")
    steps = all_steps[0]
    total = sum(steps.values())
    print("where the first run's time went:")
    for name, seconds in steps.items():
        print(f"  {name:<33} {seconds:7.1f} s  {seconds / total:6.1%}")


if __name__ == "__main__":
    main()
