"""Ingest speed: articles per second through every stage, on copies of the seeds.

Usage: python bench/ingest_speed.py [--copies 40]   (prints figures; not a test)
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from datetime import date
from pathlib import Path

from newsflow import pipeline
from newsflow.settings import PROJECT_DIR, Settings
from newsflow.warehouse import build_warehouse


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=40, help="copies of each seed (made distinct)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "source"
        source.mkdir()
        for seed in sorted((PROJECT_DIR / "seeds").glob("*.txt")):
            text = seed.read_text(encoding="utf-8")
            for i in range(args.copies):  # a distinct last line keeps copies out of the exact-dedup path
                (source / f"{seed.stem}_{i}.txt").write_text(f"{text}\nCopie numéro {i}.", encoding="utf-8")
        settings = Settings(data_dir=Path(tmp) / "data", source_dir=source)
        n_docs = len(list(source.iterdir()))
        timings = {}
        for step in pipeline.STEPS:
            start = time.perf_counter()
            step(date(2024, 7, 10), settings)
            timings[step.__name__] = time.perf_counter() - start
        start = time.perf_counter()
        build_warehouse(settings)
        timings["build_warehouse"] = time.perf_counter() - start
        shutil.rmtree(settings.staging_dir)
    total = sum(timings.values())
    print(f"{n_docs} documents, {total:.2f} s in all, {n_docs / total:.1f} docs/s")
    for name, seconds in timings.items():
        print(f"  {name:<18} {seconds:7.3f} s  {n_docs / seconds:9.1f} docs/s")


if __name__ == "__main__":
    main()
