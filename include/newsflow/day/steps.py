"""The whole-day steps after the per-shard pass: duplicates, validation, publishing, fetch health.

Each works on the day's columns through DuckDB and Arrow (`staging.day_connection`), never on a
list of Python rows, so memory does not grow with the day; each reads the staged files the step
before wrote and writes its own, so a task can be retried alone.
"""

from __future__ import annotations

import json
import logging
from datetime import date, timedelta

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from newsflow.day import dedup, rematch, templates, validate
from newsflow.day.staging import (
    DEDUP_FILE,
    GX_RESULT_FILE,
    VALIDATION_FILE,
    day_connection,
    day_staging,
)
from newsflow.entities.watchlist import load_gazetteer
from newsflow.schema import (
    DATASETS,
    DEDUP_SCHEMA,
    FETCH_LOG_MACROS,
    SIGNATURE_SCHEMA,
    SIGNATURES,
    TEMPLATES,
    VALIDATION_SCHEMA,
)
from newsflow.settings import Settings
from newsflow.store import lake, storage
from newsflow.store.lake import Location

LOGGER = logging.getLogger(__name__)

# Rows per Arrow batch when publishing: a partition streams through, never whole in memory.
PUBLISH_BATCH_ROWS = 1_000


def find_duplicates(day: date, settings: Settings) -> Location:
    """Decide, for every document of the day, whether it is rejected before validation (read
    error, URL already given by an earlier source of the day), its exact duplicate and its story.

    Exact duplicates are looked up in the content hashes of every earlier day's signatures;
    stories among the signatures of the `story_window_days` before. Neither re-reads any text.
    """
    history = lake.files_before(settings.lake_uri, SIGNATURES, day)
    with day_connection(settings, day) as con:
        _screen_urls(con)
        _mark_exact_duplicates(con, history)
        kept = con.sql(
            "select source, position, article_id, null::varchar as story_id, minhash, shingles "
            "from screened where reject_stage is null order by rank, position"
        ).to_arrow_table()
        window = [f for f in history if lake.day_of(f) >= day - timedelta(days=settings.story_window_days)]
        earlier = (
            lake.read_files(window, ["article_id", "story_id", "minhash", "shingles"])
            if window
            else SIGNATURE_SCHEMA.empty_table().select(["article_id", "story_id", "minhash", "shingles"])
        )
        stories = dedup.assign_story_ids(kept, earlier, settings.story_min_jaccard)
        con.register(
            "stories",
            kept.select(["source", "position"]).append_column("story_id", pa.array(stories, pa.string())),
        )
        decisions = con.sql(
            f"select {', '.join(DEDUP_SCHEMA.names)} from screened left join stories using (source, position) "
            "order by rank, position"
        ).to_arrow_table()
    return lake.write_table_atomic(decisions.cast(DEDUP_SCHEMA), day_staging(settings, day) / DEDUP_FILE)


def _screen_urls(con: duckdb.DuckDBPyConnection) -> None:
    """`screened`: the day's rows, a URL (article id) that an earlier source of the day gave
    rejected at stage `collect`; a rejected row keeps no content hash to be compared on."""
    con.execute(
        """
        create temp table screened as
        with readable as (
            select source, position, row_number() over w as nth, first_value(source) over w as first_source
            from processed where reject_stage is null
            window w as (partition by article_id order by rank, position)
        )
        select
            p.source, p.position, p.rank, p.article_id, p.minhash, p.shingles,
            if(r.nth > 1, 'collect', p.reject_stage) as reject_stage,
            if(r.nth > 1, 'duplicate_url: also collected from source ' || r.first_source, p.reject_reason)
                as reject_reason,
            if(r.nth = 1, p.content_hash, null) as content_hash
        from processed as p left join readable as r using (source, position)
        """
    )


def _mark_exact_duplicates(con: duckdb.DuckDBPyConnection, history: list[Location]) -> None:
    """Add `duplicate_of` to `screened`: the first article with the same content hash, from an
    earlier day (reading only the hash column of the stored signatures) or earlier in this day;
    null for a first copy and for a row without a hash (no text to compare: validation rejects it)."""
    earlier = "select null::varchar as content_hash, null::varchar as first_article where false"
    if history:
        storage.attach(con, *history)
        earlier = (
            "select content_hash, arg_min(article_id, (ingest_date, position)) as first_article "
            f"from read_parquet({[str(f) for f in history]}) "
            "where content_hash in (select content_hash from screened) group by content_hash"
        )
    con.execute(
        f"""
        create or replace temp table screened as
        with earlier as ({earlier})
        select
            s.*,
            if(
                s.content_hash is null or s.reject_stage is not null,
                null,
                nullif(
                    coalesce(
                        e.first_article,
                        first_value(s.article_id) over (partition by s.content_hash order by s.rank, s.position)
                    ),
                    s.article_id
                )
            ) as duplicate_of
        from screened as s left join earlier as e using (content_hash)
        """
    )


def validate_batch(day: date, settings: Settings) -> Location:
    """Run the Great Expectations suite on the day's documents that passed the earlier steps; stage
    the failures and GX's full result, and render the day's Data Docs page."""
    staging = day_staging(settings, day)
    with day_connection(settings, day) as con:
        con.register("decisions", lake.read_table(staging / DEDUP_FILE))
        rows = con.sql(
            "select p.source, p.position, p.article_id, p.text_chars, p.language, p.title "
            "from processed as p join decisions as d using (source, position) "
            "where d.reject_stage is null order by p.rank, p.position"
        ).to_arrow_table()
    validation = validate.failed_expectations(
        rows.to_pandas(),
        settings,
        docs_dir=settings.quality_docs_dir,
        run_name=f"ingest_date={day.isoformat()}",
    )
    storage.write_bytes(
        staging / GX_RESULT_FILE, json.dumps(validation.result, indent=1, default=str).encode()
    )
    failures = pa.array(validation.failures, VALIDATION_SCHEMA.field("failed_expectations").type)
    table = (
        rows.select(["source", "position"])
        .append_column("failed_expectations", failures)
        .filter(pc.greater(pc.list_value_length(failures), 0))
    )
    return lake.write_table_atomic(table, staging / VALIDATION_FILE)


def publish(day: date, settings: Settings) -> Location:
    """Replace the day's partitions of every dataset publish writes (`schema.DATASETS`) from the staged
    decisions, all or none, keep GX's result of the day in the lake
    (`quality/ingest_date=D/gx_validation.json`), then delete the day's staging."""
    staging = day_staging(settings, day)
    with day_connection(settings, day) as con:
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
        con.execute("create temp view published as select * from decided where stage is null")
        con.execute("create temp view originals as select * from published where duplicate_of is null")
        con.execute("create temp view rejected as select * from decided where stage is not null")
        con.execute(f"create temp view template_lines as {templates.learned_lines_sql('originals')}")
        # the mentions say which watchlist they were matched with (see newsflow.day.rematch)
        stamped = {"mentions": rematch.mentions_schema(load_gazetteer(settings.entities_path))}
        streams = (
            (
                dataset.name,
                con.sql(_publish_sql(dataset.name, dataset.schema))
                .to_arrow_reader(PUBLISH_BATCH_ROWS)
                .cast(stamped.get(dataset.name, dataset.schema)),
            )
            for dataset in DATASETS
            if dataset.published
        )  # opened one at a time, as each partition is written
        for path in lake.replace_partitions(streams, settings.lake_uri, day):
            LOGGER.info("published %s", path)
    quality = lake.partition_dir(settings.lake_uri, lake.QUALITY, day) / GX_RESULT_FILE
    storage.write_bytes(quality, (staging / GX_RESULT_FILE).read_bytes())
    storage.remove(staging)
    return lake.partition_dir(settings.lake_uri, "articles", day)


def _publish_sql(dataset: str, schema: pa.Schema) -> str:
    """The query of the day's rows of `dataset`, in the day's order, from publish's views."""
    columns = ", ".join(schema.names)
    if dataset == "mentions":  # of the originals: a duplicate's would count twice
        return _unnested(dataset, "from originals")
    if dataset == SIGNATURES:
        return (
            "select article_id, ingest_date, row_number() over (order by rank, position) - 1 as position, "
            "content_hash, story_id, minhash, shingles from published order by rank, position"
        )
    if dataset == TEMPLATES:
        return f"select {columns} from template_lines"
    if dataset == "fetch_log":
        return f"select {columns} from fetch_log order by rank, file_row_number"
    relation = {"articles": "published", "quarantine": "rejected"}[dataset]
    return f"select {columns} from {relation} order by rank, position"


def _unnested(column: str, rows: str) -> str:
    """One row per element of the list `column` of `rows`, in day order and list order (a sort on
    the day order alone may shuffle the elements of one article)."""
    return (
        "select * exclude (rank, position, element) from ("
        f"select rank, position, generate_subscripts({column}, 1) as element, unnest({column}, recursive := true) "
        f"{rows}) order by rank, position, element"
    )


class FetchHealthError(RuntimeError):
    """Too many article fetches failed: the run published what it had, then fails."""


def check_fetch_health(day: date, settings: Settings) -> float:
    """The day's share of failed article fetches; FetchHealthError above `max_fetch_failure_share`."""
    share, failed = fetch_failures(lake.read_partition(settings.lake_uri, "fetch_log", day))
    if share > settings.max_fetch_failure_share:
        raise FetchHealthError(
            f"{share:.0%} of article fetches failed on {day} (limit {settings.max_fetch_failure_share:.0%}): "
            + "; ".join(failed)
        )
    return share


def fetch_failures(log: pa.Table) -> tuple[float, list[str]]:
    """Of a fetch log's article URLs: the share of those attempted that failed (a policy skip is a
    decision, not an attempt), and every "source: error_class" met, sorted."""
    with duckdb.connect() as con:
        con.execute(FETCH_LOG_MACROS)
        con.register("log", log)
        share, failed = con.execute(
            """
            select
                coalesce(avg(is_fetch_failure(error_class)::int) filter (where not is_policy_skip(error_class)), 0),
                list(distinct source || ': ' || error_class order by source || ': ' || error_class)
                    filter (where error_class is not null)
            from log where role = 'article'
            """
        ).fetchone() or (0.0, [])
    return float(share), list(failed or [])


def summarise_day(day: date, settings: Settings) -> dict[str, int]:
    """The day's counts, from the published partitions (every document read is an article or quarantined)."""
    with duckdb.connect() as con:
        con.execute(FETCH_LOG_MACROS)
        con.register("log", lake.read_partition(settings.lake_uri, "fetch_log", day, ["error_class"]))
        con.register("articles", lake.read_partition(settings.lake_uri, "articles", day, ["duplicate_of"]))
        clean, duplicates = con.execute("select count(*), count(duplicate_of) from articles").fetchone() or (
            0,
            0,
        )
        (fetch_failures,) = con.execute(
            "select count(*) from log where is_fetch_failure(error_class)"
        ).fetchone() or (0,)
    quarantined = lake.count_partition_rows(settings.lake_uri, "quarantine", day)
    return {
        "read": clean + quarantined,
        "fetch_failures": fetch_failures,  # policy skips (already seen, robots, …) are decisions, not failures
        "clean": clean,
        "quarantined": quarantined,
        "duplicates": duplicates,
        "mentions": lake.count_partition_rows(settings.lake_uri, "mentions", day),
    }


# The whole-day steps, in order.
DAY_STEPS = (find_duplicates, validate_batch, publish)
