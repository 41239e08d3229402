"""Where a day's work waits between its tasks: the staging folder's layout, and the day's shards
read back as DuckDB relations.

    staging/ingest_date=D/raw/<source>/<generation>/shard-NNNNN.parquet        collect
    staging/ingest_date=D/processed/<source>/<generation>/shard-NNNNN.parquet  the per-shard pass
    staging/ingest_date=D/fetch_log/<source>.parquet                            collect (folders, WARC files)
    staging/ingest_date=D/{dedup,validation}.parquet, gx_validation.json        the whole-day steps

Every step reads the files the one before wrote, so a task can be retried alone and XCom carries
only paths. Publishing deletes the day's staging.
"""

from __future__ import annotations

from datetime import date

import duckdb
import pyarrow as pa

from newsflow.ingest.collect import archived_log
from newsflow.ingest.sources import SourceSpec, load_sources
from newsflow.schema import FETCH_LOG_SCHEMA, PROCESSED_SCHEMA
from newsflow.settings import Settings
from newsflow.store import lake, storage
from newsflow.store.lake import Location

# DuckDB's share of a day step: beyond it, sorts and joins spill to the local disk.
DAY_STEP_MEMORY = "256MB"
# The per-shard decisions of find_duplicates and validate_batch, joined by publish.
DEDUP_FILE = "dedup.parquet"
VALIDATION_FILE = "validation.parquet"
# Great Expectations' full result of the day, staged by validate_batch, kept in the lake by publish.
GX_RESULT_FILE = "gx_validation.json"


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


def fetch_log_path(settings: Settings, day: date, source: SourceSpec) -> Location:
    """The source's fetch log of the day: a web source's archive keeps it (`collect.archived_log`);
    the log of another source (a folder's is empty, a WARC file's says what it held) is staged."""
    return (
        archived_log(source, day, settings)
        or day_staging(settings, day) / "fetch_log" / f"{source.name}.parquet"
    )


def list_shards(day: date, settings: Settings) -> list[str]:
    """The day's raw shards, in source order: what the per-shard task is mapped over."""
    return [
        str(shard)
        for source in load_sources(settings)
        for shard in lake.shard_files(raw_shard_dir(settings, day, source.name))
    ]


def day_connection(settings: Settings, day: date) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the day's processed shards as `processed` and staged fetch logs as
    `fetch_log`, each with the `rank` of its source in the configuration (the day's order), in a
    single thread capped at DAY_STEP_MEMORY that spills to local disk."""
    sources = load_sources(settings)
    staging = day_staging(settings, day)
    shards = [processed_path(storage.location(shard)) for shard in list_shards(day, settings)]
    missing = [str(p) for p in shards if not p.exists()]
    if missing:
        raise FileNotFoundError(f"{len(missing)} shards of {day} are not processed yet: {missing[:3]}")
    con = duckdb.connect(
        config={
            "threads": 1,
            "memory_limit": DAY_STEP_MEMORY,
            "temp_directory": str(settings.data_dir / "spill" / staging.name),  # local disk
        }
    )
    con.register("ranks", pa.table({"source": [s.name for s in sources], "rank": list(range(len(sources)))}))
    con.register("empty_processed", PROCESSED_SCHEMA.empty_table())
    con.register(
        "empty_fetch_log",
        FETCH_LOG_SCHEMA.empty_table().append_column("file_row_number", pa.array([], pa.int64())),
    )
    logs = [p for p in (fetch_log_path(settings, day, s) for s in sources) if p.exists()]
    storage.attach(con, *shards, *logs)
    processed = f"read_parquet({[str(p) for p in shards]})" if shards else "empty_processed"
    fetch_log = (
        f"read_parquet({[str(p) for p in logs]}, file_row_number = true)" if logs else "empty_fetch_log"
    )
    con.execute(f"create temp view processed as select * from {processed} join ranks using (source)")
    con.execute(f"create temp view fetch_log as select * from {fetch_log} join ranks using (source)")
    return con
