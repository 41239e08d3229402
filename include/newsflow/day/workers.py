"""Work on this machine's cores (the per-shard pass, NER's parts): a process pool whose dead workers
cost their jobs a retry in a fresh pool, never a duplicate row (a job's output is written whole or
not at all)."""

from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.forkserver
import os
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.sharedctypes import Synchronized
from typing import Any

import pyarrow as pa

from newsflow.day.staging import processed_path
from newsflow.settings import Settings
from newsflow.store import lake, storage
from newsflow.store.lake import Location
from newsflow.store.storage import location
from newsflow.upstream import runtime

LOGGER = logging.getLogger(__name__)

# An item whose worker died is run again alone at most this many times before it is blamed.
ALONE_ATTEMPTS = 2
# Progress is counted in shared memory; a forkserver starts workers without this process's state.
_CONTEXT = multiprocessing.get_context("forkserver")
# What the forkserver imports when `start_forkserver` starts it: the per-shard pass, warm.
WARM_WORKERS_MODULE = "newsflow.day.warm_workers"
# How often the pool reports progress to its caller.
PROGRESS_SECONDS = 0.5


def process_one(shard: str, settings: Settings, on_document: Callable[[], object] | None = None) -> str:
    """The per-document pass over one raw shard; returns the processed shard's path."""
    return _process_to((shard, str(processed_path(location(shard)))), settings, on_document)


def start_forkserver(settings: Settings) -> None:
    """Start the process workers are forked from now, when a pool will have more than one worker:
    it imports the per-shard pass and loads its models (`newsflow.day.warm_workers`, ~2.5 s) while
    this process goes on (collecting the day), instead of when the pool first needs a worker.
    Every pool of this process forks its workers from it, warm."""
    if pool_size(settings) > 1:
        _CONTEXT.set_forkserver_preload([WARM_WORKERS_MODULE])
        multiprocessing.forkserver.ensure_running()


def process_shards(
    shards: list[str], settings: Settings, on_progress: Callable[[int, int], object] | None = None
) -> None:
    """Run the per-shard pass over `shards` on `settings.workers` processes (0: one per core).

    `on_progress(documents_done, documents_total)` is called about twice a second. A shard whose
    worker process dies is run again alone in a fresh worker (its output is written atomically, so
    a retry never duplicates rows); one that kills its worker alone too is bisected down to the
    documents that kill it (`bisect_shard`). An exception inside a shard fails the run.
    """
    total = sum(lake.count_rows(location(shard)) for shard in shards)
    run_jobs(process_one, shards, settings, total, on_progress, isolate=bisect_shard)


def process_isolated(shard: str, settings: Settings) -> str:
    """The per-document pass over one shard in a fresh worker process, bisected if it kills it:
    for a task whose own process died on the shard before (a retry in Airflow). A daemonic process
    (a Celery worker's task) may not start children: there the shard runs in this process, as on
    its first try, and the task's retries are all the isolation it gets."""
    if multiprocessing.current_process().daemon:
        LOGGER.warning("a daemonic process cannot isolate %s in a child: processing it here", shard)
        return process_one(shard, settings)
    if _run_alone(process_one, shard, settings):
        return str(processed_path(location(shard)))
    return bisect_shard(shard, settings)


def bisect_shard(shard: str, settings: Settings) -> str:
    """The processed shard of a raw shard that kills its worker even alone: its documents are
    processed in halves, each half in a fresh worker, down to the documents that kill it, which
    become rejected rows (`process.killed_document`); the rest is processed as usual."""
    raw = location(shard)
    out = processed_path(raw)
    scratch = out.parent / f"{raw.stem}.bisect"
    pieces = _bisect(lake.read_table(raw), scratch, settings)
    lake.write_table_atomic(pa.concat_tables(pieces), out)
    storage.remove(scratch)
    return str(out)


def _bisect(rows: pa.Table, scratch: Location, settings: Settings) -> list[pa.Table]:
    from newsflow.day import process  # where it runs, as in _process_to

    if rows.num_rows == 1:
        (row,) = rows.to_pylist()
        LOGGER.error("%s kills its worker: quarantined", row["source_path"] or row["url"])
        return [process.killed_document(row)]
    half = rows.num_rows // 2
    pieces: list[pa.Table] = []
    for part in (rows.slice(0, half), rows.slice(half)):
        name = f"{part['position'][0].as_py():09d}.parquet"
        raw = lake.write_table_atomic(part, scratch / "raw" / name)
        out = scratch / "processed" / name
        if _run_alone(_process_to, (str(raw), str(out)), settings):
            pieces.append(lake.read_table(out))
        else:
            pieces.extend(_bisect(part, scratch, settings))
    return pieces


def _process_to(paths: tuple[str, str], settings: Settings, on_document: Callable[[], object] | None) -> str:
    """The per-document pass from the raw shard to the processed one at `paths`. The pass (and the
    extraction stack under it) is imported where it runs: a process that only hands shards to
    workers never loads it (~0.5 s of a run's start-up), and the forkserver preloads it for them."""
    from newsflow.day import process

    raw, out = paths
    return str(process.process_shard(location(raw), location(out), settings, on_document))


# A job of the pool: one item (a shard's path, a part's fields) on one process, told each unit of
# work done; a module-level function, so that it pickles.
Job = Callable[[Any, Settings, Callable[[], object] | None], str]


def run_jobs(
    job: Job,
    items: list[Any],
    settings: Settings,
    total: int,
    on_progress: Callable[[int, int], object] | None = None,
    isolate: Callable[[Any, Settings], object] | None = None,
) -> None:
    """Run `job` over `items` on `settings.workers` processes (0: one per core), `total` units of
    work in all. When a worker dies, every item it took down with the pool is run again alone in a
    fresh worker (ALONE_ATTEMPTS times), so that a death is pinned on its own item; an item that
    kills its worker alone goes to `isolate`, or fails the run when there is none.
    With one worker, or a single item, they run in this process: nothing isolates a death there."""
    workers = min(pool_size(settings), len(items))
    if workers <= 1:
        done = 0

        def tick() -> None:
            nonlocal done
            done += 1
            if on_progress is not None:
                on_progress(done, total)

        for item in items:
            job(item, settings, tick)
        return
    counter = _CONTEXT.Value("q", 0, lock=False)
    with _pool(job, workers, counter) as pool:
        lost = _run_pool(
            pool, job, dict(enumerate(items)), settings, lambda: _report(on_progress, counter.value, total)
        )
    for i in sorted(lost):
        LOGGER.warning("a worker died: running %s again alone", items[i])
        if _run_alone(job, items[i], settings):
            continue
        if isolate is None:
            raise RuntimeError(f"{items[i]} killed its worker {ALONE_ATTEMPTS} times, alone")
        isolate(items[i], settings)


def pool_size(settings: Settings) -> int:
    """The processes of this machine's pool: `settings.workers`, or one per core."""
    return settings.workers or os.cpu_count() or 1


def _run_alone(job: Job, item: Any, settings: Settings) -> bool:
    """Run one item in a fresh one-worker pool, ALONE_ATTEMPTS times at most; whether it succeeded
    (False: its worker died each time)."""
    for _ in range(ALONE_ATTEMPTS):
        with _pool(job, 1, _CONTEXT.Value("q", 0, lock=False)) as pool:
            if not _run_pool(pool, job, {0: item}, settings, lambda: None):
                return True
    return False


def _pool(job: Job, workers: int, counter: Synchronized[int]) -> ProcessPoolExecutor:
    # What a forkserver not started yet preloads: the per-shard pass, warm, for this module's jobs
    # (they import it where they run), the job's own module for the others (NER's parts).
    _CONTEXT.set_forkserver_preload([WARM_WORKERS_MODULE if job.__module__ == __name__ else job.__module__])
    return ProcessPoolExecutor(
        workers, mp_context=_CONTEXT, initializer=_start_worker, initargs=(counter, _log_setup())
    )


def _run_pool(
    pool: ProcessPoolExecutor, job: Job, items: dict[int, Any], settings: Settings, report: Callable[[], None]
) -> list[int]:
    """Run `items` on `pool`; the keys of those whose worker died (the pool's other workers are then
    killed, so its shutdown does not wait for them)."""
    lost: list[int] = []
    futures: dict[Future[str], int] = {}
    for key, item in items.items():
        try:
            futures[pool.submit(_run_in_worker, job, item, settings)] = key
        except BrokenProcessPool:  # a worker died while the items were being handed out
            lost.append(key)
    running = set(futures)
    while running:
        finished, running = wait(running, timeout=PROGRESS_SECONDS, return_when=FIRST_COMPLETED)
        for future in finished:
            try:
                future.result()
            except BrokenProcessPool:
                lost.append(futures[future])
        report()
    if lost:
        runtime.kill_pool_workers(pool)
    return lost


def _report(on_progress: Callable[[int, int], object] | None, done: int, total: int) -> None:
    if on_progress is not None:
        on_progress(min(done, total), total)


_worker_counter: Synchronized[int] | None = None


def _log_setup() -> tuple[int, str | None]:
    """This process's log level and format, for the workers (a forkserver child starts unconfigured)."""
    root = logging.getLogger()
    formatter = root.handlers[0].formatter if root.handlers else None
    return root.getEffectiveLevel(), runtime.log_format(formatter) if formatter is not None else None


def _start_worker(counter: Synchronized[int], log_setup: tuple[int, str | None]) -> None:
    global _worker_counter
    _worker_counter = counter
    level, log_format = log_setup
    logging.basicConfig(level=level, format=log_format or logging.BASIC_FORMAT)


def _count_document() -> None:
    assert _worker_counter is not None  # set by _start_worker in every worker process
    _worker_counter.value += 1


def _run_in_worker(job: Job, item: Any, settings: Settings) -> str:
    return job(item, settings, _count_document)
