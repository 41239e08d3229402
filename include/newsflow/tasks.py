"""Every task of newsflow's DAGs, and the whole day the CLI runs: the only module the DAG files and
the CLI call.

Each `run_<task>` takes the partition date as the DAG passes it (`YYYY-MM-DD`) and the settings
(default: `Settings.from_env()`), and returns what the task hands on through XCom: paths and
counts, never articles. `ingest_day` runs the same steps one after the other on this machine.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import date
from pathlib import Path

from newsflow.day import enrich, rematch, staging, steps, validate, workers
from newsflow.ingest import backfill
from newsflow.ingest.collect import archived_log, collect_source
from newsflow.ingest.sources import SourceSpec, load_sources
from newsflow.schema import FetchLogEntry, RawDocument, to_table
from newsflow.settings import Settings
from newsflow.store import lake, locks
from newsflow.warehouse import build, report

LOGGER = logging.getLogger(__name__)


# news_ingest's tasks do not renew its lease: its claim lasts as long as a nightly run may take. A
# crashed run's day is free after that, or at once for the DAG's next run.
NIGHTLY_RUN_LEASE_S = 12 * 3600.0


def run_claim_day(day: str, owner: str, settings: Settings | None = None) -> str:
    """Take the day's lock for this run (`owner`), before anything is written; the lock's path."""
    settings = settings or Settings.from_env()
    return str(locks.acquire(settings.locks_dir, _day_of(day, "claim_day"), owner, NIGHTLY_RUN_LEASE_S))


def run_release_day(day: str, owner: str, settings: Settings | None = None) -> None:
    """Give the day's lock back, whatever became of the run."""
    settings = settings or Settings.from_env()
    locks.release(settings.locks_dir, _day_of(day, "release_day"), owner)


def run_list_sources(settings: Settings | None = None) -> list[str]:
    """The configured sources' names (sources.yaml, else the seeds folder)."""
    return [source.name for source in load_sources(settings or Settings.from_env())]


def run_collect(source_name: str, day: str, settings: Settings | None = None) -> list[str]:
    """One configured source's documents of the day into raw shards; their paths."""
    return collect_one(source_name, _day_of(day, f"collect {source_name}"), settings or Settings.from_env())


def run_list_shards(day: str, settings: Settings | None = None) -> list[str]:
    """The day's raw shards, in source order."""
    return staging.list_shards(_day_of(day, "list_shards"), settings or Settings.from_env())


def run_process_shard(shard: str, settings: Settings | None = None, retry: bool = False) -> str:
    """The per-document pass over one raw shard; the processed shard's path. A `retry` (the task's
    process died on the shard before) runs it in a child process, bisected down to the documents
    that kill it, which are quarantined (`workers.process_isolated`)."""
    settings = settings or Settings.from_env()
    if retry:
        return workers.process_isolated(shard, settings)
    return workers.process_one(shard, settings)


def run_find_duplicates(day: str, settings: Settings | None = None) -> str:
    return str(steps.find_duplicates(_day_of(day, "find_duplicates"), settings or Settings.from_env()))


def run_validate_batch(day: str, settings: Settings | None = None) -> str:
    return str(steps.validate_batch(_day_of(day, "validate_batch"), settings or Settings.from_env()))


def run_publish(day: str, settings: Settings | None = None) -> dict[str, int]:
    """The day's partitions, then the day's counts (for the Asset event and XCom)."""
    settings = settings or Settings.from_env()
    partition = _day_of(day, "publish")
    steps.publish(partition, settings)
    return steps.summarise_day(partition, settings)


def run_check_fetch_health(day: str, settings: Settings | None = None) -> float:
    """The day's share of failed article fetches; `steps.FetchHealthError` when too many failed."""
    return steps.check_fetch_health(_day_of(day, "check_fetch_health"), settings or Settings.from_env())


def published_days(events: list[dict[str, object]], requested: str | None = None) -> list[str]:
    """The days a run of news_entities enriches: those the triggering Asset events say were
    published (news_ingest's `partition_date`, news_backfill's `backfilled_days`), else the day a
    manual run asked for; sorted, each once."""
    days = {str(extra["partition_date"]) for extra in events if "partition_date" in extra}
    for extra in events:
        backfilled = extra.get("backfilled_days")
        days |= set(backfilled) if isinstance(backfilled, dict) else set()
    if not days and requested:
        days = {requested}
    return sorted(date.fromisoformat(day).isoformat() for day in days)  # a malformed date fails here


def run_enrich(
    day: str, settings: Settings | None = None, on_progress: Callable[[int, int], object] | None = None
) -> str:
    """The open-world entities of a published day (`day.enrich`), its parts on this machine's
    cores; the partition's path. `on_progress(articles_done, articles_total)` follows NER."""
    settings = settings or Settings.from_env()

    def run_parts(parts: list[dict[str, object]]) -> None:
        total = sum(int(str(part["stop"])) - int(str(part["start"])) for part in parts)
        workers.run_jobs(enrich.enrich_part, parts, settings, total, on_progress)

    return str(enrich.enrich_day(_day_of(day, "enrich"), settings, run_parts))


def run_plan_enrich(days: list[str], settings: Settings | None = None) -> list[dict[str, object]]:
    """The parts of the days to enrich, every day's in one list: what the NER task is mapped over."""
    settings = settings or Settings.from_env()
    return [part for day in days for part in enrich.plan_parts(_day_of(day, "plan_enrich"), settings)]


def run_enrich_part(part: dict[str, object], settings: Settings | None = None) -> str:
    """NER over one part of a day's articles, into staging; the part's file."""
    return enrich.enrich_part(part, settings or Settings.from_env())


def run_publish_enrich(parts: list[dict[str, object]], settings: Settings | None = None) -> list[str]:
    """Each day's `discovered` partition from its parts; the partitions' paths."""
    settings = settings or Settings.from_env()
    by_day: dict[object, list[dict[str, object]]] = {}
    for part in parts:
        by_day.setdefault(part["day"], []).append(part)
    return [str(enrich.publish_parts(day_parts, settings)) for day_parts in by_day.values()]


def run_build_warehouse(settings: Settings | None = None) -> list[str]:
    """Bring the warehouse up to date with the lake and the watchlist; the partitions loaded."""
    return build_warehouse(settings or Settings.from_env()).loaded


def build_warehouse(settings: Settings, full: bool = False) -> build.BuildResult:
    """Match the stored days that a changed watchlist concerns again (`rematch.rematch_history`),
    then load the new lake partitions into DuckDB and refresh the models."""
    rematch.rematch_history(settings)
    return build.build_warehouse(settings, full=full)


def run_render_report(settings: Settings | None = None) -> str:
    """The mentions chart and page under the reports folder; the chart's path."""
    return str(report.render_report(settings or Settings.from_env())[0])


# news_backfill holds every day of its run from `claim_days` to the teardown `release_days`: one
# lease, owned by the run id, renewed by each task that touches the days (and while it runs).
BACKFILL_DAG_ID = "news_backfill"
# What a user gave that is wrong (a configuration, a file named in the trigger form, a damaged
# input) or a day another run holds: the same run fails the same way, so a task fails at once.
INPUT_ERRORS: tuple[type[Exception], ...] = (ValueError, FileNotFoundError, locks.DayLockedError)


def run_backfill_plan(
    warc: str, date_from: str | None, date_to: str | None, settings: Settings | None = None
) -> list[str]:
    """The days in range the WARC files hold (see `backfill.plan`); the range must be given."""
    settings = settings or Settings.from_env()
    return [day.isoformat() for day in _backfill_days(warc, date_from, date_to, settings)]


def run_backfill_claim(
    warc: str, days: list[str], run_id: str, settings: Settings | None = None
) -> list[str]:
    """Take every day of the run for it, then prepare each from every known file holding it."""
    settings = settings or Settings.from_env()
    if not days:
        return []
    owner = locks.airflow_owner(BACKFILL_DAG_ID, run_id)
    try:
        for day in days:
            locks.acquire(settings.locks_dir, _day_of(day, "claim_days"), owner)
    except locks.DayLockedError:
        run_backfill_release(days, run_id, settings)
        raise
    for partition, files in _backfill_days(warc, min(days), max(days), settings).items():
        if partition.isoformat() in days:
            backfill.prepare_day(partition, files, settings)
    return days


def run_backfill_collect(
    day: str, days: list[str], run_id: str, settings: Settings | None = None
) -> list[str]:
    """One prepared day's pages into raw shards, renewing the run's days meanwhile."""
    settings = settings or Settings.from_env()
    partition = _day_of(day, "collect_day")
    with _keep_run_days(days, run_id, settings):
        return collect(partition, backfill.day_settings(settings, partition))


def run_backfill_process_shard(
    shard: str, days: list[str], run_id: str, settings: Settings | None = None, retry: bool = False
) -> str:
    """The per-document pass over one of the run's shards, renewing the run's days meanwhile (a
    `retry` isolates it, as `run_process_shard` says)."""
    settings = settings or Settings.from_env()
    with _keep_run_days(days, run_id, settings):
        return run_process_shard(shard, settings, retry)


def run_backfill_publish(
    days: list[str], run_id: str, settings: Settings | None = None
) -> dict[str, dict[str, int]]:
    """The whole-day steps, day after day in date order (a day's duplicates and stories are decided
    against the days before it), renewing the run's days meanwhile; the days' counts."""
    settings = settings or Settings.from_env()
    counts = {}
    with _keep_run_days(days, run_id, settings):
        for day in sorted(days):
            day_settings = backfill.day_settings(settings, _day_of(day, "publish_days"))
            for day_step in steps.DAY_STEPS:
                day_step(date.fromisoformat(day), day_settings)
            counts[day] = steps.summarise_day(date.fromisoformat(day), day_settings)
    return counts


def run_backfill_release(days: list[str], run_id: str, settings: Settings | None = None) -> None:
    """Give the run's days back, whatever became of it."""
    settings = settings or Settings.from_env()
    for day in days:
        locks.release(
            settings.locks_dir, _day_of(day, "release_days"), locks.airflow_owner(BACKFILL_DAG_ID, run_id)
        )


def _keep_run_days(days: list[str], run_id: str, settings: Settings) -> AbstractContextManager[None]:
    """The run's lease on its days, renewed while a task works (DayLockedError if another run took
    them: the lease expired, e.g. the run waited longer than `locks.LEASE_S` between two tasks)."""
    partitions = [_day_of(day, "keep the days") for day in days]
    return locks.keep(settings.locks_dir, partitions, locks.airflow_owner(BACKFILL_DAG_ID, run_id))


def _backfill_days(
    warc: str, date_from: str | None, date_to: str | None, settings: Settings
) -> dict[date, list[Path]]:
    if not warc or not date_from or not date_to:
        raise ValueError("a backfill needs a WARC location and both dates of its range")
    return backfill.plan(warc, _day_of(date_from, "date_from"), _day_of(date_to, "date_to"), settings)


def collect_one(source_name: str, day: date, settings: Settings, offline: bool = False) -> list[str]:
    """Collect one configured source into raw shards (and its fetch log into staging)."""
    source = _source_named(source_name, settings)
    collected = collect_source(source, day, settings, offline=offline)
    documents = collected.documents
    if source.keep_non_articles:
        documents = (dataclasses.replace(d, keep_non_articles=True) for d in documents)
    shards = lake.write_shards(
        documents,
        RawDocument,
        staging.raw_shard_dir(settings, day, source.name),
        max_rows=settings.shard_docs,
        max_bytes=settings.shard_bytes,
        size=lambda document: len(document.raw_text),
        workers=workers.pool_size(settings),
    )
    if archived_log(source, day, settings) is None:  # a web source's log is in its archive already
        lake.write_table_atomic(
            to_table(collected.log, FetchLogEntry), staging.fetch_log_path(settings, day, source)
        )
    collected.mark_seen()  # only now: the day's documents are staged (and archived)
    LOGGER.info("%s: %d raw shards for %s", source.name, len(shards), day)
    return [str(shard) for shard in shards]


def collect(day: date, settings: Settings, offline: bool = False) -> list[str]:
    """Collect every configured source, one after the other (the CLI's path)."""
    return [shard for s in load_sources(settings) for shard in collect_one(s.name, day, settings, offline)]


def ingest_day(
    day: date,
    settings: Settings,
    on_step: Callable[[str], object] | None = None,
    offline: bool = False,
    on_progress: Callable[[int, int], object] | None = None,
) -> dict[str, int]:
    """Run every step for `day` on this machine, holding the day's lock, and return the counts the
    CLI prints. Another run of the same date fails at once with `locks.DayLockedError`.

    `on_step` is told each step's name before it runs; `on_progress` follows the per-shard pass
    (documents done, total); `offline` replays archived web sources only (`newsflow reextract`).
    """

    def step(name: str) -> None:
        LOGGER.info("step %s for %s", name, day)
        if on_step is not None:
            on_step(name)

    with locks.day_lock(settings.locks_dir, day):  # a second run of the date fails here, at once
        workers.start_forkserver(settings)  # the workers' imports, while this process collects
        with validate.suite_process():  # Great Expectations' import, on the core collect leaves idle
            step("collect")
            collect(day, settings, offline=offline)
            step("process_shards")
            workers.process_shards(staging.list_shards(day, settings), settings, on_progress)
            for day_step in steps.DAY_STEPS:
                step(day_step.__name__)
                day_step(day, settings)
    return steps.summarise_day(day, settings)


def _source_named(name: str, settings: Settings) -> SourceSpec:
    by_name = {source.name: source for source in load_sources(settings)}
    if name not in by_name:
        raise ValueError(f"no source named {name!r} in the configuration; known: {', '.join(by_name)}")
    return by_name[name]


def _day_of(ds: str | None, what: str) -> date:
    """The partition date. A run triggered without a logical date has no `ds`: falling back to
    today would silently write the wrong partition, so it is an error."""
    if not ds:
        raise ValueError(f"{what} needs the run's logical date (ds); trigger the run with one")
    return date.fromisoformat(ds)
