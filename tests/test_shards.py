"""The day as shards: boundaries change nothing, a dead worker's shard is retried without duplicates,
stored signatures give the stories recomputing would, and memory does not grow with the day."""

from __future__ import annotations

import contextlib
import dataclasses
import multiprocessing
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from datetime import date
from pathlib import Path

import duckdb
import psutil
import pyarrow as pa
import pytest

from newsflow import tasks
from newsflow.day import dedup, process, staging, steps, workers
from newsflow.document import signatures
from newsflow.schema import SIGNATURES
from newsflow.settings import Settings
from newsflow.store import lake
from newsflow.store.storage import location
from newsflow.warehouse.build import build_warehouse
from newsflow.warehouse.models import sql_models

from conftest import FIXTURES_DIR, PUBLISHED_DATASETS, SEEDS_DIR

DAY = date(2024, 7, 10)


def make_corpus(folder: Path) -> Path:
    """The seeds, the HTML fixtures, two exact copies (text, HTML), a near copy, an empty and a
    binary file."""
    folder.mkdir()
    for path in [*SEEDS_DIR.glob("*.txt"), *FIXTURES_DIR.glob("html/*.html")]:
        shutil.copy(path, folder / path.name)
    seed = sorted(SEEDS_DIR.glob("*.txt"))
    shutil.copy(seed[3], folder / "zz_exact_copy.txt")
    shutil.copy(FIXTURES_DIR / "html" / "body_inside_footer.html", folder / "zz_exact_copy.html")
    lines = seed[0].read_text(encoding="utf-8").splitlines()
    (folder / "zz_near_copy.txt").write_text("\n".join(lines[: len(lines) * 2 // 3]), encoding="utf-8")
    (folder / "zz_empty.txt").write_bytes(b"")
    (folder / "zz_binary.txt").write_bytes(bytes(range(256)) * 8)
    return folder


def lake_contents(settings: Settings) -> dict[str, list[dict]]:
    """Every partition of the day, less the read time (a wall-clock stamp)."""
    contents = {}
    for dataset in (*PUBLISHED_DATASETS, SIGNATURES):
        table = lake.read_partition(settings.lake_uri, dataset, DAY)
        contents[dataset] = table.drop_columns(
            [c for c in table.column_names if c == "fetched_at"]
        ).to_pylist()
    return contents


def warehouse_contents(settings: Settings) -> dict[str, list[tuple]]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return {
            m.name: con.execute(f"select * from {m.name} order by all").fetchall()
            for m in sql_models(settings.sql_dir)
            if m.materialized != "macro"
        }


def test_shard_boundaries_and_workers_change_nothing(tmp_path: Path) -> None:
    corpus = make_corpus(tmp_path / "inbox")
    n = len(list(corpus.iterdir()))
    results = []
    for shard_docs, processes, expected_shards in ((n, 1, 1), (-(-n // 2), 2, 2), (2, 2, -(-n // 2))):
        settings = Settings(
            data_dir=tmp_path / f"run_{shard_docs}",
            source_dir=corpus,
            shard_docs=shard_docs,
            workers=processes,
        )
        tasks.collect(DAY, settings)
        assert len(staging.list_shards(DAY, settings)) == expected_shards
        counts = tasks.ingest_day(DAY, settings)
        build_warehouse(settings)
        results.append((counts, lake_contents(settings), warehouse_contents(settings)))
        assert not staging.day_staging(settings, DAY).exists()  # staging goes once the day is published
    counts, lake_rows, warehouse_rows = results[0]
    assert counts["read"] == n and counts["duplicates"] == 2 and counts["quarantined"] == 2
    story = {row["source_path"]: row["story_id"] for row in lake_rows["articles"]}
    assert story["zz_near_copy.txt"] == story["000_7c240e19f7da08c9.txt"] != story["001_6c7059f03b3c68ca.txt"]
    for other_counts, other_lake, other_warehouse in results[1:]:
        assert other_counts == counts
        assert other_lake == lake_rows
        assert other_warehouse == warehouse_rows


@pytest.mark.parametrize(
    ("pool", "sizes"),
    [(1, [4, 4, 4]), (2, [4, 4, 2, 2]), (3, [4, 4, 4]), (5, [4, 4, 4])],
)
def test_the_last_shard_is_cut_so_that_the_pools_last_round_keeps_every_worker_busy(
    tmp_path: Path, pool: int, sizes: list[int]
) -> None:
    corpus = tmp_path / "inbox"
    corpus.mkdir()
    for n in range(12):
        (corpus / f"{n:02d}.txt").write_text(f"Article numéro {n} sur l'OTAN.", encoding="utf-8")
    settings = Settings(data_dir=tmp_path / "data", source_dir=corpus, shard_docs=4, workers=pool)
    shards = [lake.read_table(location(shard)) for shard in tasks.collect(DAY, settings)]
    assert [shard.num_rows for shard in shards] == sizes
    paths = [path for shard in shards for path in shard.column("source_path").to_pylist()]
    assert paths == [f"{n:02d}.txt" for n in range(12)]


# Run in a fresh interpreter: a process has one forkserver, started by its first pool.
WARM_WORKER = """
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from newsflow.day import workers
from newsflow.settings import Settings
import psutil
workers.start_forkserver(Settings(workers=2))
print(any("forkserver" in " ".join(child.cmdline()) for child in psutil.Process().children()))
with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("forkserver")) as pool:
    print(pool.submit(eval, PROBE).result())
print(eval(PROBE.split(" and ")[0]))  # this process, which only hands out shards, never loads the pass
"""
# In a worker that has run nothing yet: is the per-shard pass imported, and langdetect's profiles loaded?
PROBE = (
    "'newsflow.day.process' in __import__('sys').modules"
    " and __import__('langdetect.detector_factory', fromlist=['_factory'])._factory is not None"
)


def test_the_forkserver_starts_before_the_pool_and_its_workers_fork_warm() -> None:
    script = WARM_WORKER.replace("PROBE", repr(PROBE))
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.stdout.split() == ["True", "True", "False"], result.stderr


def forkserver_workers() -> list[psutil.Process]:
    """The pool's worker processes: children of this process's forkserver."""
    return [
        child
        for server in psutil.Process().children()
        if "forkserver" in " ".join(server.cmdline())
        for child in server.children()
    ]


def test_a_worker_killed_mid_shard_is_retried_without_duplicates(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    corpus = tmp_path / "inbox"
    corpus.mkdir()
    for copy in range(8):  # 40 French documents: the first shard of each worker loads the NER model
        for path in SEEDS_DIR.glob("*.txt"):
            text = path.read_text(encoding="utf-8")
            (corpus / f"{copy}_{path.name}").write_text(f"{text}\nCopie {copy}.", encoding="utf-8")
    settings = Settings(data_dir=tmp_path / "data", source_dir=corpus, shard_docs=5, workers=2)
    shards = tasks.collect(DAY, settings)
    killed: list[int] = []

    def kill_one_worker() -> None:
        deadline = time.monotonic() + 60
        while not killed and time.monotonic() < deadline:
            alive = forkserver_workers()
            if alive:
                os.kill(alive[0].pid, signal.SIGKILL)
                killed.append(alive[0].pid)
            time.sleep(0.05)

    killer = threading.Thread(target=kill_one_worker)
    killer.start()
    workers.process_shards(shards, settings)
    killer.join()
    assert killed, "no worker process was seen to kill"
    assert "a worker died: running" in caplog.text
    for day_step in steps.DAY_STEPS:
        day_step(DAY, settings)
    articles = lake.read_partition(settings.lake_uri, "articles", DAY, ["article_id"]).column("article_id")
    assert len(articles) == 40 and len(set(articles.to_pylist())) == 40


@pytest.mark.parametrize("path", ["pool", "airflow_retry"])
def test_a_document_that_kills_its_worker_every_time_is_quarantined_and_the_day_published(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, path: str
) -> None:
    """A watchdog kills any worker that has spun for 1 s of CPU (as an operator's or a cgroup's
    would): a page of 49,900 paragraphs, just under the element cap, takes every worker there
    (2.3-5 s, by machine); the seeds take a few hundredths of one. The CLI's pool and an Airflow task's
    retry (its first try died in its own process) both find it."""
    cpu_limit_s = 1.0
    corpus = tmp_path / "inbox"
    shutil.copytree(SEEDS_DIR, corpus)
    paragraphs = "".join(f"<p>Phrase {i} de l'article sur l'OTAN.</p>" for i in range(49_900))
    (corpus / "002_spinner.html").write_text(f"<html><body>{paragraphs}</body></html>", encoding="utf-8")
    settings = Settings(data_dir=tmp_path / "data", source_dir=corpus, shard_docs=2, workers=2)
    shards = tasks.collect(DAY, settings)
    done = threading.Event()
    killed: list[int] = []

    def watchdog() -> None:
        while not done.is_set():
            for worker in forkserver_workers():
                with contextlib.suppress(psutil.NoSuchProcess):
                    if worker.cpu_times().user > cpu_limit_s:
                        worker.kill()
                        killed.append(worker.pid)
            time.sleep(0.1)

    guard = threading.Thread(target=watchdog)
    guard.start()
    try:
        if path == "pool":
            workers.process_shards(shards, settings)
        else:
            for shard in shards:
                tasks.run_process_shard(shard, settings, retry=True)
    finally:
        done.set()
        guard.join()
    assert len(killed) >= 3  # alone (twice, after the shared pool), then in its half
    for day_step in steps.DAY_STEPS:
        day_step(DAY, settings)
    quarantine = lake.read_partition(settings.lake_uri, "quarantine", DAY).to_pylist()
    assert [(row["source_path"], row["stage"]) for row in quarantine] == [("002_spinner.html", "process")]
    assert quarantine[0]["failed_expectations"] == [
        "worker_died: its worker process died each time this document was processed"
    ]
    articles = lake.read_partition(settings.lake_uri, "articles", DAY, ["source_path"]).column("source_path")
    assert sorted(articles.to_pylist()) == sorted(path.name for path in SEEDS_DIR.glob("*.txt"))
    assert "002_spinner.html kills its worker: quarantined" in caplog.text


def _retry_in_a_daemon(shard: str, settings: Settings) -> None:
    tasks.run_process_shard(shard, settings, retry=True)


def test_a_retry_inside_a_daemonic_process_processes_its_shard_there(tmp_path: Path) -> None:
    """A Celery worker's task process is daemonic and may not start children."""
    settings = Settings(data_dir=tmp_path / "data", source_dir=SEEDS_DIR, shard_docs=10, workers=2)
    (shard,) = tasks.collect(DAY, settings)
    daemon = multiprocessing.get_context("spawn").Process(
        target=_retry_in_a_daemon, args=(shard, settings), daemon=True
    )
    daemon.start()
    daemon.join(timeout=120)
    assert daemon.exitcode == 0
    assert lake.count_rows(staging.processed_path(location(shard))) == 5


def test_stored_signatures_give_the_story_ids_that_recomputing_gives(tmp_path: Path) -> None:
    monday = tmp_path / "monday"
    monday.mkdir()
    for path in SEEDS_DIR.glob("*.txt"):
        shutil.copy(path, monday / path.name)
    tuesday = tmp_path / "tuesday"
    tuesday.mkdir()
    for path in sorted(SEEDS_DIR.glob("*.txt"))[:2]:  # near copies of 000 and 001, published again
        lines = path.read_text(encoding="utf-8").splitlines()
        (tuesday / f"reprint_{path.name}").write_text("\n".join(lines[1:]), encoding="utf-8")
    settings = Settings(data_dir=tmp_path / "data", source_dir=monday)
    tasks.ingest_day(DAY, settings)
    tuesday_settings = dataclasses.replace(settings, source_dir=tuesday)
    next_day = date(2024, 7, 11)
    tasks.ingest_day(next_day, tuesday_settings)

    def published(day: date) -> pa.Table:
        return lake.read_partition(settings.lake_uri, "articles", day, ["article_id", "story_id", "text"])

    def recomputed(table: pa.Table, with_story: bool) -> pa.Table:
        computed = [
            signatures.story_signature(text, settings.story_lsh_bands)
            for text in table.column("text").to_pylist()
        ]
        stories = table.column("story_id") if with_story else pa.nulls(table.num_rows, pa.string())
        return pa.table(
            {
                "article_id": table.column("article_id"),
                "story_id": stories,
                "minhash": pa.array([m for m, _ in computed], pa.list_(pa.uint64())),
                "shingles": pa.array([s for _, s in computed], pa.list_(pa.uint32())),
            }
        )

    stored = published(next_day).column("story_id").to_pylist()
    from_texts = dedup.assign_story_ids(
        recomputed(published(next_day), False), recomputed(published(DAY), True), settings.story_min_jaccard
    )
    assert stored == from_texts
    monday_ids = set(published(DAY).column("article_id").to_pylist())
    assert set(stored) <= monday_ids  # both reprints joined a story of the day before


ENGLISH = """The alliance said that its members would meet in Brussels to discuss air defence, the budget
and the exercises planned in the north. Officials expect ministers to agree on new spending targets,
while several governments warned that industry could not deliver munitions quickly enough. Analysts
noted that elections, inflation and energy prices weigh on public opinion across member countries."""

PEAK_RSS = """
import resource, sys
from datetime import date
from pathlib import Path
from newsflow import tasks
from newsflow.settings import Settings
settings = Settings(data_dir=Path(sys.argv[1]), source_dir=Path(sys.argv[2]), shard_docs=100, workers=1)
tasks.ingest_day(date(2024, 7, 10), settings)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def peak_rss_kb(tmp_path: Path, documents: int) -> int:
    """Peak RSS of a whole ingest of `documents` distinct ~4 kB English stories, in a fresh process."""
    corpus = tmp_path / f"corpus_{documents}"
    corpus.mkdir()
    words = sorted(set(re.findall(r"[a-z]{4,}", ENGLISH.lower())))
    for n in range(documents):
        pick = random.Random(n).choices
        # Every other word is the story's own (like names and numbers): stories share no word pairs.
        sentences = [" ".join(f"{w} n{n}x{i}" for i, w in enumerate(pick(words, k=7))) for _ in range(40)]
        (corpus / f"story_{n:05d}.txt").write_text(
            f"Story number {n} of the day\n" + ". ".join(sentences) + "."
        )
    result = subprocess.run(
        [sys.executable, "-c", PEAK_RSS, str(tmp_path / f"data_{documents}"), str(corpus)],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(result.stdout.split()[-1])


def test_peak_memory_does_not_grow_with_the_day(tmp_path: Path) -> None:
    small, large = peak_rss_kb(tmp_path, 200), peak_rss_kb(tmp_path, 2_000)
    # Ten times the documents. Holding the day in Python objects added ~190 MB here (~100 kB a
    # document); streaming shards adds ~70 MB, most of it DuckDB's sort buffers, which are capped.
    assert large - small < 100_000, (small, large)


def test_a_document_that_breaks_a_stage_is_quarantined_and_the_shard_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = tmp_path / "inbox"
    corpus.mkdir()
    for path in SEEDS_DIR.glob("*.txt"):
        shutil.copy(path, corpus / path.name)
    (corpus / "trap.txt").write_text("Un article piégé\nCe texte fait échouer une étape.", encoding="utf-8")
    build_article = process.build_article

    def failing_on_the_trap(raw, known_templates):  # type: ignore[no-untyped-def]
        if raw.source_path == "trap.txt":  # stands for a bug a real page could hit in any stage
            raise ValueError("stage bug")
        return build_article(raw, known_templates)

    monkeypatch.setattr(process, "build_article", failing_on_the_trap)
    settings = Settings(data_dir=tmp_path / "data", source_dir=corpus, workers=1)
    counts = tasks.ingest_day(DAY, settings)
    assert counts["clean"] == 5 and counts["quarantined"] == 1
    quarantine = lake.read_partition(settings.lake_uri, "quarantine", DAY).to_pylist()
    assert [(q["source_path"], q["stage"], q["failed_expectations"]) for q in quarantine] == [
        ("trap.txt", "process", ["processing_error: ValueError: stage bug"])
    ]


def test_a_second_run_of_the_same_day_fails_at_once_and_the_first_loses_nothing(tmp_path: Path) -> None:
    corpus = tmp_path / "inbox"
    corpus.mkdir()
    for copy in range(4):
        for path in SEEDS_DIR.glob("*.txt"):
            text = path.read_text(encoding="utf-8")
            (corpus / f"{copy}_{path.name}").write_text(f"{text}\nCopie {copy}.", encoding="utf-8")
    env = {**os.environ, "NEWSFLOW_DATA_DIR": str(tmp_path / "data"), "NEWSFLOW_WORKERS": "1"}
    command = [
        sys.executable,
        "-m",
        "newsflow.cli",
        "ingest",
        "--source",
        str(corpus),
        "--date",
        "2024-07-10",
    ]
    first = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lock = tmp_path / "data" / "locks" / "ingest_date=2024-07-10.000001.lock"
    deadline = time.monotonic() + 60
    while not lock.exists() and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert lock.exists(), "the first run never took the day's lock"
    started = time.monotonic()
    second = subprocess.run(command, env=env, capture_output=True, text=True)
    assert second.returncode == 3 and time.monotonic() - started < 30
    assert "2024-07-10 is already being ingested by pid" in second.stdout and "Traceback" not in second.stdout
    output, _ = first.communicate(timeout=300)
    assert first.returncode == 0, output
    settings = Settings(data_dir=tmp_path / "data")
    assert lake.read_partition(settings.lake_uri, "articles", DAY).num_rows == 20
    assert not lock.exists()


def test_a_folder_of_hostile_entries_is_published_with_every_entry_accounted_for(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(next(SEEDS_DIR.glob("002_*.txt")), inbox / "article.txt")
    (inbox / "dangling.txt").symlink_to(inbox / "gone.txt")
    (inbox / "escape.txt").symlink_to(Path("/etc/passwd"))
    os.mkfifo(inbox / "pipe.txt")
    with open(os.fsencode(inbox) + b"/caf\xe9.txt", "wb") as latin1_name:
        latin1_name.write(next(SEEDS_DIR.glob("003_*.txt")).read_bytes())
    settings = Settings(data_dir=tmp_path / "data", source_dir=inbox)
    counts = tasks.ingest_day(DAY, settings)
    assert counts["read"] == 5 and counts["clean"] == 2
    quarantine = lake.read_partition(settings.lake_uri, "quarantine", DAY).to_pylist()
    assert {(q["source_path"], q["stage"]) for q in quarantine} == {
        ("dangling.txt", "read"),
        ("escape.txt", "read"),
        ("pipe.txt", "read"),
    }
