"""Work on this machine's cores (the per-shard pass, NER's parts): a process pool whose dead workers
cost their jobs a retry in a fresh pool, never a duplicate row (a job's output is written whole or
not at all)."""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.sharedctypes import Synchronized
from typing import Any

from newsflow.day import process
from newsflow.day.staging import processed_path
from newsflow.settings import Settings
from newsflow.store import lake
from newsflow.store.storage import location
from newsflow.upstream import runtime

LOGGER = logging.getLogger(__name__)

# A shard whose worker process died (killed, out of memory) is tried again this many times in all.
MAX_SHARD_ATTEMPTS = 3
# How often the pool reports progress to its caller.
PROGRESS_SECONDS = 0.5


def process_one(shard: str, settings: Settings, on_document: Callable[[], object] | None = None) -> str:
    """The per-document pass over one raw shard; returns the processed shard's path."""
    raw = location(shard)
    return str(process.process_shard(raw, processed_path(raw), settings, on_document))


def process_shards(
    shards: list[str], settings: Settings, on_progress: Callable[[int, int], object] | None = None
) -> None:
    """Run the per-shard pass over `shards` on `settings.workers` processes (0: one per core).

    `on_progress(documents_done, documents_total)` is called about twice a second. A shard whose
    worker process dies is retried in a fresh pool (its output is written atomically, so a retry
    never duplicates rows); an exception inside a shard fails the run.
    """
    total = sum(lake.count_rows(location(shard)) for shard in shards)
    run_jobs(process_one, shards, settings, total, on_progress)


# A job of the pool: one item (a shard's path, a part's fields) on one process, told each unit of
# work done; a module-level function, so that it pickles.
Job = Callable[[Any, Settings, Callable[[], object] | None], str]


def run_jobs(
    job: Job,
    items: list[Any],
    settings: Settings,
    total: int,
    on_progress: Callable[[int, int], object] | None = None,
) -> None:
    """Run `job` over `items` on `settings.workers` processes (0: one per core), `total` units of
    work in all; an item whose worker died is retried in a fresh pool, MAX_SHARD_ATTEMPTS times in all."""
    workers = min(settings.workers or os.cpu_count() or 1, len(items))
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
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([job.__module__])
    # Progress only, so without a lock: a worker killed while holding a shared lock would block
    # every later worker forever (the retry pools share the counter); a rare lost increment is harmless.
    counter = context.Value("q", 0, lock=False)
    pending = list(range(len(items)))
    for attempt in range(1, MAX_SHARD_ATTEMPTS + 1):
        with ProcessPoolExecutor(
            workers, mp_context=context, initializer=_start_worker, initargs=(counter, _log_setup())
        ) as pool:
            lost = _run_pool(
                pool,
                job,
                {i: items[i] for i in pending},
                settings,
                lambda: _report(on_progress, counter.value, total),
            )
        if not lost:
            return
        LOGGER.warning(
            "attempt %d: a worker died; retrying %d jobs: %s", attempt, len(lost), [items[i] for i in lost]
        )
        pending = sorted(lost)
    raise RuntimeError(
        f"jobs failed {MAX_SHARD_ATTEMPTS} times, their worker died each time: {[items[i] for i in pending]}"
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
