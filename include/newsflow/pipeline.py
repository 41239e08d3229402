"""The stages composed for one ingest day: sources → raw shards → per-shard pass → whole-day steps.

`collect_one` writes a source's documents as raw shards of bounded size; `process_one` runs the
per-document work of one shard (the DAG maps it over the shards, the CLI runs a process pool);
`find_duplicates`, `validate_batch` and `publish` then work on the day's columns through DuckDB
and Arrow, never on a list of Python objects. Every step reads the files the one before wrote, so
a task can be retried alone and XCom carries only paths. Staging is deleted once the day is
published (a web source's raw archive stays).
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa

from newsflow.day import dedup, process, templates, validate
from newsflow.ingest import backfill
from newsflow.ingest.collect import POLICY_SKIPS, collect_source, fetch_failure_share
from newsflow.ingest.sources import SourceSpec, load_sources
from newsflow.schema import (
    ARTICLE_SCHEMA,
    CANDIDATE_SCHEMA,
    FETCH_LOG_SCHEMA,
    MENTION_SCHEMA,
    PROCESSED_SCHEMA,
    QUARANTINE_SCHEMA,
    SIGNATURE_SCHEMA,
    TEMPLATE_SCHEMA,
    FetchLogEntry,
    RawDocument,
    from_table,
    to_table,
)
from newsflow.settings import Settings
from newsflow.store import lake, locks, storage
from newsflow.store.lake import Location
from newsflow.store.storage import location

LOGGER = logging.getLogger(__name__)

# A shard whose worker process died (killed, out of memory) is tried again this many times in all.
MAX_SHARD_ATTEMPTS = 3
# Rows per Arrow batch when publishing: a partition streams through, never whole in memory.
PUBLISH_BATCH_ROWS = 1_000
# DuckDB's share of a day step: beyond it, sorts and joins spill to the day's staging folder.
DAY_STEP_MEMORY = "256MB"
# The per-shard decisions of find_duplicates and validate_batch, joined by publish.
DEDUP_FILE = "dedup.parquet"
VALIDATION_FILE = "validation.parquet"
# Great Expectations' full result of the day, staged by validate_batch, kept in the lake by publish.
GX_RESULT_FILE = "gx_validation.json"
DEDUP_SCHEMA = pa.schema(
    [
        ("source", pa.string()),
        ("position", pa.int64()),
        ("reject_stage", pa.string()),  # read or collect; validation decides the rest
        ("reject_reason", pa.string()),
        ("content_hash", pa.string()),
        ("duplicate_of", pa.string()),
        ("story_id", pa.string()),
    ]
)
VALIDATION_SCHEMA = pa.schema(
    [("source", pa.string()), ("position", pa.int64()), ("failed_expectations", pa.list_(pa.string()))]
)


# --- staging layout ----------------------------------------------------------------------------


def day_staging(settings: Settings, day: date) -> Location:
    return settings.staging_dir / f"ingest_date={day.isoformat()}"


def raw_shard_dir(settings: Settings, day: date, source: str) -> Location:
    return day_staging(settings, day) / "raw" / source


def processed_path(raw_shard: Location) -> Location:
    """Where the per-shard pass writes the result of `raw_shard`
    (…/raw/SOURCE/GENERATION/shard-N → …/processed/SOURCE/GENERATION/shard-N)."""
    generation = raw_shard.parent
    source = generation.parent
    return source.parent.parent / "processed" / source.name / generation.name / raw_shard.name


def shard_label(shard: str, with_day: bool = False) -> str:
    """SOURCE/shard-N.parquet (after ingest_date=D/ `with_day`): how a shard is named in the Airflow UI."""
    parts = shard.rstrip("/").split("/")
    day = [part + "/" for part in parts if part.startswith("ingest_date=")][-1:] if with_day else []
    return "".join(day) + f"{parts[-3]}/{parts[-1]}"


def fetch_log_path(settings: Settings, day: date, source: str) -> Location:
    return day_staging(settings, day) / "fetch_log" / f"{source}.parquet"


# --- collection and the per-shard pass -----------------------------------------------------------


def collect_one(source_name: str, day: date, settings: Settings, offline: bool = False) -> list[str]:
    """Collect one configured source (the DAG maps this over the sources) into raw shards."""
    source = _source_named(source_name, settings)
    collected = collect_source(source, day, settings, offline=offline)
    shards = lake.write_shards(
        collected.documents,
        RawDocument,
        raw_shard_dir(settings, day, source.name),
        max_rows=settings.shard_docs,
        max_bytes=settings.shard_bytes,
        size=lambda document: len(document.raw_text),
    )
    lake.write_table_atomic(
        to_table(collected.log, FetchLogEntry), fetch_log_path(settings, day, source.name)
    )
    collected.mark_seen()  # only now: the day's documents are staged (and archived)
    LOGGER.info("%s: %d raw shards for %s", source.name, len(shards), day)
    return [str(shard) for shard in shards]


def collect(day: date, settings: Settings, offline: bool = False) -> list[str]:
    """Collect every configured source, one after the other (the CLI's path)."""
    return [shard for s in load_sources(settings) for shard in collect_one(s.name, day, settings, offline)]


def list_shards(day: date, settings: Settings) -> list[str]:
    """The day's raw shards, in source order: what the per-shard task is mapped over."""
    return [
        str(shard)
        for source in load_sources(settings)
        for shard in lake.shard_files(raw_shard_dir(settings, day, source.name))
    ]


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
        lost: list[str] = []
        with ProcessPoolExecutor(
            workers, mp_context=context, initializer=_start_worker, initargs=(counter, _log_setup())
        ) as pool:
            futures = {}
            for shard in pending:
                try:
                    futures[pool.submit(_process_in_worker, shard, settings)] = shard
                except BrokenProcessPool:  # a worker died while the shards were being handed out
                    lost.append(shard)
            running = set(futures)
            while running:
                finished, running = wait(running, timeout=0.5, return_when=FIRST_COMPLETED)
                for future in finished:
                    try:
                        future.result()
                    except BrokenProcessPool:
                        lost.append(futures[future])
                if on_progress is not None:
                    on_progress(min(counter.value, total), total)
            if lost:
                kill_workers(pool)
        if not lost:
            return
        LOGGER.warning("attempt %d: a worker died; retrying %d shards: %s", attempt, len(lost), lost)
        pending = sorted(lost)
    raise RuntimeError(f"shards failed {MAX_SHARD_ATTEMPTS} times, their worker died each time: {pending}")


def kill_workers(pool: ProcessPoolExecutor) -> None:
    """Kill the worker processes a broken pool has left, before its shutdown waits for them.

    When a worker dies, CPython 3.11 terminates the pool's other workers and then waits for every
    one; a worker it starts at that moment for a new submission escapes the termination, waits for
    work forever, and so does the shutdown (seen as a hang of the worker-kill test). Python 3.14's
    `kill_workers()` does this; before it, the pool's private `_processes` is the only handle.
    """
    for worker in list((pool._processes or {}).values()):  # noqa: SLF001
        worker.kill()


_worker_counter = None


def _log_setup() -> tuple[int, str | None]:
    """This process's log level and format, for the workers (a forkserver child starts unconfigured)."""
    root = logging.getLogger()
    formatter = root.handlers[0].formatter if root.handlers else None
    return root.getEffectiveLevel(), formatter._fmt if formatter is not None else None  # noqa: SLF001


def _start_worker(counter, log_setup: tuple[int, str | None]) -> None:  # type: ignore[no-untyped-def]
    global _worker_counter
    _worker_counter = counter
    level, log_format = log_setup
    logging.basicConfig(level=level, format=log_format or logging.BASIC_FORMAT)


def _count_document() -> None:
    _worker_counter.value += 1  # type: ignore[union-attr]


def _process_in_worker(shard: str, settings: Settings) -> str:
    return process_one(shard, settings, _count_document)


# --- whole-day steps on columns ------------------------------------------------------------------


def find_duplicates(day: date, settings: Settings) -> Location:
    """Decide, for every document of the day, whether it is rejected before validation (read
    error, URL already given by an earlier source), its exact duplicate and its story.

    Exact duplicates are looked up in the content hashes of every earlier day's signatures;
    stories among the signatures of the `story_window_days` before. Neither re-reads any text.
    """
    _ensure_signatures(settings, day)
    history = lake.files_before(settings.lake_uri, lake.SIGNATURES, day)
    with _day_connection(settings, day) as con:
        day_rows = con.sql(
            "select source, position, article_id, reject_stage, reject_reason, content_hash, minhash, shingles "
            "from processed order by rank, position"
        ).to_arrow_table()
        rows = day_rows.select(
            ["source", "article_id", "reject_stage", "reject_reason", "content_hash"]
        ).to_pylist()
        _reject_repeated_urls(rows)
        kept = [i for i, row in enumerate(rows) if row["reject_stage"] is None]
        first_copy = _earlier_copies(con, history, {rows[i]["content_hash"] for i in kept} - {None})
    duplicates = dedup.mark_exact_duplicates(
        [rows[i]["article_id"] for i in kept], [rows[i]["content_hash"] for i in kept], first_copy
    )
    for i, duplicate_of in zip(kept, duplicates, strict=True):
        rows[i]["duplicate_of"] = duplicate_of
    window = [f for f in history if lake.day_of(f) >= day - timedelta(days=settings.story_window_days)]
    earlier = lake.read_files(window, ["article_id", "story_id", "minhash", "shingles"]) if window else None
    new = day_rows.take(pa.array(kept, pa.int64())).append_column(
        "story_id", pa.nulls(len(kept), pa.string())
    )
    stories = dedup.assign_story_ids(
        new, earlier if earlier is not None else _empty_signatures(), settings.story_min_jaccard
    )
    for i, story_id in zip(kept, stories, strict=True):
        rows[i]["story_id"] = story_id
    decisions = pa.table(
        {
            "source": day_rows.column("source"),
            "position": day_rows.column("position"),
            **{name: [row.get(name) for row in rows] for name in DEDUP_SCHEMA.names[2:]},
        },
        schema=DEDUP_SCHEMA,
    )
    return lake.write_table_atomic(decisions, day_staging(settings, day) / DEDUP_FILE)


def _reject_repeated_urls(rows: list[dict]) -> None:
    """A URL (article id) that an earlier source of the day gave is rejected at stage `collect`;
    a rejected row has no content hash to be compared on."""
    first_source: dict[str, str] = {}
    for row in rows:
        if row["reject_stage"] is None and row["article_id"] in first_source:
            row["reject_stage"] = "collect"
            row["reject_reason"] = (
                f"duplicate_url: also collected from source {first_source[row['article_id']]}"
            )
        if row["reject_stage"] is None:
            first_source[row["article_id"]] = row["source"]
        else:
            row["content_hash"] = None


def quality_docs_dir(settings: Settings) -> Path:
    """Where GX Data Docs go: one page per validated day, and an index."""
    return settings.data_dir / "reports" / "quality"


def validate_batch(day: date, settings: Settings) -> Location:
    """Run the Great Expectations suite on the day's documents that passed the earlier steps; stage
    the failures and GX's full result, and render the day's Data Docs page."""
    with _day_connection(settings, day) as con:
        con.register("decisions", lake.read_table(day_staging(settings, day) / DEDUP_FILE))
        frame = con.execute(
            "select p.source, p.position, p.article_id, p.text_chars, p.language, p.title "
            "from processed as p join decisions as d using (source, position) "
            "where d.reject_stage is null order by p.rank, p.position"
        ).df()
    validation = validate.failed_expectations(
        frame, settings, docs_dir=quality_docs_dir(settings), run_name=f"ingest_date={day.isoformat()}"
    )
    failures = validation.failures
    storage.write_bytes(
        day_staging(settings, day) / GX_RESULT_FILE,
        json.dumps(validation.result, indent=1, default=str).encode(),
    )
    failed = [i for i, names in enumerate(failures) if names]
    table = pa.table(
        {
            "source": [frame["source"].iloc[i] for i in failed],
            "position": [int(frame["position"].iloc[i]) for i in failed],
            "failed_expectations": [failures[i] for i in failed],
        },
        schema=VALIDATION_SCHEMA,
    )
    return lake.write_table_atomic(table, day_staging(settings, day) / VALIDATION_FILE)


def publish(day: date, settings: Settings) -> Location:
    """Replace the day's partitions (articles, quarantine, mentions, candidates, signatures,
    fetch log) from the staged decisions, all or none, keep GX's result of the day in the lake
    (`quality/ingest_date=D/gx_validation.json`), then delete the day's staging."""
    staging = day_staging(settings, day)
    with _day_connection(settings, day) as con:
        con.register("decisions", lake.read_table(staging / DEDUP_FILE))
        con.register("validation", lake.read_table(staging / VALIDATION_FILE))
        con.execute(
            """
            create temp view decided as
            select
                p.* exclude (content_hash, duplicate_of, story_id),
                d.content_hash, d.duplicate_of, d.story_id,
                coalesce(d.reject_stage, case when v.failed_expectations is not null then 'validate' end) as stage,
                coalesce(v.failed_expectations, [d.reject_reason]) as failed_expectations
            from processed as p
            join decisions as d using (source, position)
            left join validation as v using (source, position)
            """
        )
        published = "from decided where stage is null"
        originals = f"{published} and duplicate_of is null"
        outputs = {
            "articles": (
                ARTICLE_SCHEMA,
                f"select {_columns(ARTICLE_SCHEMA)} {published} order by rank, position",
            ),
            "quarantine": (
                QUARANTINE_SCHEMA,
                f"select {_columns(QUARANTINE_SCHEMA)} from decided where stage is not null order by rank, position",
            ),
            "mentions": (MENTION_SCHEMA, _unnested("mentions", originals)),
            "candidates": (CANDIDATE_SCHEMA, _unnested("candidates", originals)),
            lake.SIGNATURES: (
                SIGNATURE_SCHEMA,
                "select article_id, ingest_date, row_number() over (order by rank, position) - 1 as position, "
                f"content_hash, story_id, minhash, shingles {published} order by rank, position",
            ),
            lake.TEMPLATES: (TEMPLATE_SCHEMA, templates.TEMPLATES_SQL),
            "fetch_log": (
                FETCH_LOG_SCHEMA,
                f"select {_columns(FETCH_LOG_SCHEMA)} from fetch_log order by rank, file_row_number",
            ),
        }
        streams = (
            (dataset, con.sql(sql).to_arrow_reader(PUBLISH_BATCH_ROWS).cast(schema))
            for dataset, (schema, sql) in outputs.items()
        )  # opened one at a time, as each partition is written
        for path in lake.replace_partitions(streams, settings.lake_uri, day):
            LOGGER.info("published %s", path)
    quality = lake.partition_dir(settings.lake_uri, lake.QUALITY, day) / GX_RESULT_FILE
    storage.write_bytes(quality, (staging / GX_RESULT_FILE).read_bytes())
    storage.remove(staging)
    return lake.partition_dir(settings.lake_uri, "articles", day)


class FetchHealthError(RuntimeError):
    """Too many article URLs failed to fetch: the run published what it had, then fails."""


def check_fetch_health(day: date, settings: Settings) -> float:
    """The day's share of failed article fetches; FetchHealthError above `max_fetch_failure_share`."""
    log = from_table(lake.read_partition(settings.lake_uri, "fetch_log", day), FetchLogEntry)
    share = fetch_failure_share(log)
    if share > settings.max_fetch_failure_share:
        failed = sorted(
            {f"{row.source}: {row.error_class}" for row in log if row.role == "article" and row.error_class}
        )
        raise FetchHealthError(
            f"{share:.0%} of article fetches failed on {day} (limit {settings.max_fetch_failure_share:.0%}): "
            + "; ".join(failed)
        )
    return share


DAY_STEPS = (find_duplicates, validate_batch, publish)


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
        step("collect")
        collect(day, settings, offline=offline)
        step("process_shards")
        process_shards(list_shards(day, settings), settings, on_progress)
        for day_step in DAY_STEPS:
            step(day_step.__name__)
            day_step(day, settings)
    return summarise_day(day, settings)


def summarise_day(day: date, settings: Settings) -> dict[str, int]:
    """The day's counts, from the published partitions (every document read is an article or quarantined)."""
    duplicates = lake.read_partition(settings.lake_uri, "articles", day, ["duplicate_of"]).column(
        "duplicate_of"
    )
    errors = lake.read_partition(settings.lake_uri, "fetch_log", day, ["error_class"]).column("error_class")
    clean = len(duplicates)
    failures = [error for error in errors.to_pylist() if error is not None and error not in POLICY_SKIPS]
    quarantined = lake.count_partition_rows(settings.lake_uri, "quarantine", day)
    return {
        "read": clean + quarantined,
        "fetch_failures": len(failures),  # policy skips (already seen, robots, …) are decisions, not failures
        "clean": clean,
        "quarantined": quarantined,
        "duplicates": len(duplicates) - duplicates.null_count,
        "mentions": lake.count_partition_rows(settings.lake_uri, "mentions", day),
        "candidates": lake.count_partition_rows(settings.lake_uri, "candidates", day),
    }


# --- helpers -------------------------------------------------------------------------------------


def _source_named(name: str, settings: Settings) -> SourceSpec:
    by_name = {source.name: source for source in load_sources(settings)}
    if name not in by_name:
        raise ValueError(f"no source named {name!r} in the configuration; known: {', '.join(by_name)}")
    return by_name[name]


def _day_connection(settings: Settings, day: date) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the day's processed shards as `processed` and staged fetch logs as
    `fetch_log`, each with the `rank` of its source in the configuration (the day's order)."""
    sources = load_sources(settings)
    staging = day_staging(settings, day)
    con = duckdb.connect(
        config={
            "threads": 1,
            "memory_limit": DAY_STEP_MEMORY,
            "temp_directory": str(settings.data_dir / "spill" / staging.name),  # local disk
        }
    )
    con.register("ranks", pa.table({"source": [s.name for s in sources], "rank": list(range(len(sources)))}))
    shards = [processed_path(location(shard)) for shard in list_shards(day, settings)]
    missing = [str(p) for p in shards if not p.exists()]
    if missing:
        con.close()
        raise FileNotFoundError(f"{len(missing)} shards of {day} are not processed yet: {missing[:3]}")
    logs = [fetch_log_path(settings, day, s.name) for s in sources]
    con.register("empty_processed", PROCESSED_SCHEMA.empty_table())
    con.register(
        "empty_fetch_log",
        FETCH_LOG_SCHEMA.empty_table().append_column("file_row_number", pa.array([], pa.int64())),
    )
    logs = [p for p in logs if p.exists()]
    storage.attach(con, *shards, *logs)
    logs = [str(p) for p in logs]
    processed = f"read_parquet({[str(p) for p in shards]})" if shards else "empty_processed"
    fetch_log = f"read_parquet({logs}, file_row_number = true)" if logs else "empty_fetch_log"
    con.execute(f"create temp view processed as select * from {processed} join ranks using (source)")
    con.execute(f"create temp view fetch_log as select * from {fetch_log} join ranks using (source)")
    return con


def _earlier_copies(
    con: duckdb.DuckDBPyConnection, files: list[Location], hashes: set[str]
) -> dict[str, str]:
    """content hash -> first article with it in the signatures `files`, for the given hashes
    (reads only the hash column)."""
    if not files or not hashes:
        return {}
    con.register("wanted", pa.table({"content_hash": sorted(hashes)}))
    storage.attach(con, *files)
    return dict(
        con.execute(
            "select content_hash, arg_min(article_id, (ingest_date, position)) "
            f"from read_parquet({[str(f) for f in files]}) where content_hash in (select content_hash from wanted) "
            "group by content_hash"
        ).fetchall()
    )


def _ensure_signatures(settings: Settings, day: date) -> None:
    """Write the signatures of earlier articles partitions that have none (lakes from before the
    signatures dataset existed): computed once from their texts, then stored like any other day's."""
    current = lake.current_files(settings.lake_uri, ["articles", lake.SIGNATURES])
    have = {lake.day_of(p) for p in current[lake.SIGNATURES]}
    for path in current["articles"]:
        if lake.day_of(path) >= day or lake.day_of(path) in have:
            continue
        articles = lake.read_table(path).select(
            ["article_id", "ingest_date", "content_hash", "story_id", "text"]
        )
        signatures = [
            dedup.story_signature(text, settings.story_lsh_bands)
            for text in articles.column("text").to_pylist()
        ]
        table = pa.table(
            {
                "article_id": articles.column("article_id"),
                "ingest_date": articles.column("ingest_date"),
                "position": pa.array(range(articles.num_rows), pa.int64()),
                "content_hash": articles.column("content_hash"),
                "story_id": articles.column("story_id"),
                "minhash": [m for m, _ in signatures],
                "shingles": [s for _, s in signatures],
            },
            schema=SIGNATURE_SCHEMA,
        )
        lake.write_partition(table, settings.lake_uri, lake.SIGNATURES, lake.day_of(path))
        LOGGER.info("computed the missing signatures of %s", path.parent.name)


def _empty_signatures() -> pa.Table:
    return SIGNATURE_SCHEMA.empty_table().select(["article_id", "story_id", "minhash", "shingles"])


def _unnested(column: str, rows: str) -> str:
    """One row per element of the list `column` of `rows`, in day order and list order (a sort on
    the day order alone may shuffle the elements of one article)."""
    return (
        "select * exclude (rank, position, element) from ("
        f"select rank, position, generate_subscripts({column}, 1) as element, unnest({column}, recursive := true) "
        f"{rows}) order by rank, position, element"
    )


def _columns(schema: pa.Schema) -> str:
    return ", ".join(schema.names)


# --- the DAG's entry points ----------------------------------------------------------------------


def run_step(step_name: str, ds: str | None, settings: Settings | None = None) -> str:
    """Run one named whole-day step for the run's logical date; the DAG's day tasks are this call."""
    steps = {step.__name__: step for step in (*DAY_STEPS, check_fetch_health)}
    if step_name not in steps:
        raise ValueError(f"unknown step {step_name!r}; known: {', '.join(steps)}")
    return str(steps[step_name](_day_of(ds, step_name), settings or Settings.from_env()))


def run_publish(ds: str | None, settings: Settings | None = None) -> dict[str, int]:
    """The DAG's publish task: the day's partitions, then the day's counts (for the Asset event and XCom)."""
    settings = settings or Settings.from_env()
    day = _day_of(ds, "publish")
    publish(day, settings)
    return summarise_day(day, settings)


def run_collect_one(source_name: str, ds: str | None, settings: Settings | None = None) -> list[str]:
    """The DAG's mapped collect task: one source for the run's logical date, into raw shards."""
    return collect_one(source_name, _day_of(ds, f"collect {source_name}"), settings or Settings.from_env())


def run_claim_day(ds: str | None, owner: str, settings: Settings | None = None) -> str:
    """The DAG's first task: take the day's lock for this run (`owner`), before anything is written."""
    settings = settings or Settings.from_env()
    return str(locks.acquire(settings.locks_dir, _day_of(ds, "claim_day"), owner))


def run_release_day(ds: str | None, owner: str, settings: Settings | None = None) -> None:
    """The DAG's teardown: give the day's lock back, whatever became of the run."""
    settings = settings or Settings.from_env()
    locks.release(settings.locks_dir, _day_of(ds, "release_day"), owner)


def run_list_shards(ds: str | None, settings: Settings | None = None) -> list[str]:
    return list_shards(_day_of(ds, "list_shards"), settings or Settings.from_env())


def run_backfill_plan(
    warc: str, date_from: str | None, date_to: str | None, settings: Settings | None = None
) -> list[str]:
    """news_backfill's first task: the days in range the WARC files hold, each prepared (see
    `backfill.plan`); the range must be given."""
    settings = settings or Settings.from_env()
    if not warc or not date_from or not date_to:
        raise ValueError("a backfill needs a WARC location and both dates of its range")
    days = backfill.plan(warc, _day_of(date_from, "date_from"), _day_of(date_to, "date_to"), settings)
    for day, files in days.items():
        backfill.prepare_day(day, files, settings)
    return [day.isoformat() for day in days]


def run_backfill_collect(ds: str, settings: Settings | None = None) -> list[str]:
    """news_backfill's mapped collect: one prepared day's pages into raw shards, under its lock."""
    day = _day_of(ds, "collect_day")
    day_settings = backfill.day_settings(settings or Settings.from_env(), day)
    with locks.day_lock(day_settings.locks_dir, day):
        return collect(day, day_settings)


def run_backfill_publish(days: list[str], settings: Settings | None = None) -> dict[str, dict[str, int]]:
    """news_backfill's whole-day steps, day after day in date order (a day's duplicates and stories
    are decided against the days before it), each under its lock; the days' counts."""
    counts = {}
    for ds in sorted(days):
        day = _day_of(ds, "publish_days")
        day_settings = backfill.day_settings(settings or Settings.from_env(), day)
        with locks.day_lock(day_settings.locks_dir, day):
            for day_step in DAY_STEPS:
                day_step(day, day_settings)
        counts[ds] = summarise_day(day, day_settings)
    return counts


def run_partition_date(requested: str | None, ds: str | None, today: date | None = None) -> str:
    """The day a DAG run ingests: the date an operator typed in the trigger form, else the run's
    logical date, else (a manual run triggered without one) yesterday, UTC: the last whole day."""
    if requested:
        return date.fromisoformat(str(requested)).isoformat()  # a typo fails here, before anything runs
    if ds:
        return ds
    return ((today or datetime.now(UTC).date()) - timedelta(days=1)).isoformat()


def _day_of(ds: str | None, what: str) -> date:
    """The partition date. A run triggered without a logical date has no `ds`: falling back to
    today would silently write the wrong partition, so it is an error."""
    if not ds:
        raise ValueError(f"{what} needs the run's logical date (ds); trigger the run with one")
    return date.fromisoformat(ds)
