"""The per-shard pass on this machine's cores: a process pool whose dead workers cost their shards a
retry in a fresh pool, never a duplicate row (a shard's output is written whole or not at all)."""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.sharedctypes import Synchronized

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
    workers = min(settings.workers or os.cpu_count() or 1, len(shards))
    if workers <= 1:
        done = 0

        def tick() -> None:
            nonlocal done
            done += 1
            if on_progress is not None:
                on_progress(done, total)

        for shard in shards:
            process_one(shard, settings, tick)
        return
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["newsflow.day.process"])
    # Progress only, so without a lock: a worker killed while holding a shared lock would block
    # every later worker forever (the retry pools share the counter); a rare lost increment is harmless.
    counter = context.Value("q", 0, lock=False)
    pending = list(shards)
    for attempt in range(1, MAX_SHARD_ATTEMPTS + 1):
        with ProcessPoolExecutor(
            workers, mp_context=context, initializer=_start_worker, initargs=(counter, _log_setup())
        ) as pool:
            lost = _run_pool(pool, pending, settings, lambda: _report(on_progress, counter.value, total))
        if not lost:
            return
        LOGGER.warning("attempt %d: a worker died; retrying %d shards: %s", attempt, len(lost), lost)
        pending = sorted(lost)
    raise RuntimeError(f"shards failed {MAX_SHARD_ATTEMPTS} times, their worker died each time: {pending}")


def _run_pool(
    pool: ProcessPoolExecutor, shards: list[str], settings: Settings, report: Callable[[], None]
) -> list[str]:
    """Run `shards` on `pool`; the shards whose worker died (the pool's other workers are then
    killed, so its shutdown does not wait for them)."""
    lost: list[str] = []
    futures: dict[Future[str], str] = {}
    for shard in shards:
        try:
            futures[pool.submit(_process_in_worker, shard, settings)] = shard
        except BrokenProcessPool:  # a worker died while the shards were being handed out
            lost.append(shard)
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


def _process_in_worker(shard: str, settings: Settings) -> str:
    return process_one(shard, settings, _count_document)
