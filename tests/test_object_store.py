"""The lake, staging, archive, seen URLs and locks on an S3-compatible store (moto's server on 127.0.0.1)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
import s3fs

from newsflow.cli import main
from newsflow.ingest.archive import SeenUrls
from newsflow.settings import Settings
from newsflow.store import lake, locks
from newsflow.store.storage import location

from conftest import PUBLISHED_DATASETS, SEEDS_DIR

DAY = date(2024, 7, 10)


def ingest(lake_uri: str, data_dir: Path) -> None:
    args = ["ingest", "--date", DAY.isoformat(), "--source", str(SEEDS_DIR), "--workers", "2"]
    assert main([*args, "--lake", lake_uri, "--data-dir", str(data_dir)]) == 0


def warehouse_rows(data_dir: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_a_day_on_object_storage_matches_a_local_day_and_a_rerun_changes_nothing(
    s3_lake: str, tmp_path: Path
) -> None:
    ingest(s3_lake, tmp_path / "s3")
    ingest(str(tmp_path / "local" / "lake"), tmp_path / "local")
    on_s3 = Settings(data_dir=tmp_path / "s3", lake_uri=location(s3_lake))
    on_disk = Settings(data_dir=tmp_path / "local")
    for dataset in PUBLISHED_DATASETS:
        s3_table = lake.read_partition(on_s3.lake_uri, dataset, DAY)
        assert s3_table.num_rows == lake.read_partition(on_disk.lake_uri, dataset, DAY).num_rows
    summary = "select count(*), sum(text_chars), (select count(*) from mention_occurrences) from articles"
    assert warehouse_rows(tmp_path / "s3", summary) == warehouse_rows(tmp_path / "local", summary)
    assert warehouse_rows(tmp_path / "s3", summary)[0][0] == 5
    # Nothing of the lake, staging, archive or locks landed on this machine: only the warehouse, the
    # reports and the user's watchlist (NEWSFLOW_ENTITIES_PATH, default in the data folder).
    local = sorted(p.name for p in (tmp_path / "s3").iterdir() if not p.name.startswith("."))
    assert local == ["entities.yaml", "reports", "warehouse.duckdb"]
    store = s3fs.S3FileSystem()
    bucket = s3_lake.removeprefix("s3://").split("/")[0]
    assert not store.exists(f"{bucket}/staging/ingest_date={DAY}")  # deleted once published

    def day_on_s3() -> dict[str, pa.Table]:  # without the time each file was read
        tables = {
            dataset: lake.read_partition(on_s3.lake_uri, dataset, DAY) for dataset in PUBLISHED_DATASETS
        }
        return {
            d: t.drop_columns([c for c in ("fetched_at",) if c in t.column_names]) for d, t in tables.items()
        }

    before = day_on_s3()
    first_files = lake.read_manifest(on_s3.lake_uri, DAY)
    ingest(s3_lake, tmp_path / "s3")
    assert day_on_s3() == before
    assert lake.read_manifest(on_s3.lake_uri, DAY) != first_files  # the day was written again, whole
    assert warehouse_rows(tmp_path / "s3", summary) == warehouse_rows(tmp_path / "local", summary)
    articles = lake.partition_dir(on_s3.lake_uri, "articles", DAY)
    assert len(store.ls(articles.path)) == 2  # the current file and the previous one, no more


def test_a_failure_between_object_writes_replaces_nothing(s3_lake: str) -> None:
    root = location(s3_lake)
    lake.replace_partitions(
        [("articles", pa.table({"n": [1, 2]})), ("mentions", pa.table({"n": [1]}))], root, DAY
    )

    def tables_then_a_lost_connection():
        yield "articles", pa.table({"n": [7, 7, 7]})
        raise ConnectionError("the store went away")

    with pytest.raises(ConnectionError):
        lake.replace_partitions(tables_then_a_lost_connection(), root, DAY)
    assert lake.read_partition(root, "articles", DAY).num_rows == 2  # not the new 3 rows, not nothing
    assert lake.read_partition(root, "mentions", DAY).num_rows == 1
    assert len(list(lake.partition_dir(root, "articles", DAY).iterdir())) == 1  # the orphan is gone


REWRITER = """
import sys
from datetime import date
import pyarrow as pa
from newsflow.store import lake
from newsflow.store.storage import location
lake_uri, sizes = location(sys.argv[1]), [int(n) for n in sys.argv[2:]]
tables = [pa.table({"n": pa.array(range(size), pa.int64())}) for size in sizes]
print("ready", flush=True)
while True:  # rewrite the day forever, old and new in turn, until killed
    for table in tables:
        lake.replace_partitions([("articles", table), ("mentions", table)], lake_uri, date(2024, 7, 10))
"""


def test_readers_and_a_killed_writer_see_the_old_day_or_the_new_on_object_storage(s3_lake: str) -> None:
    sizes = (3_000, 7_000)
    root = location(s3_lake)
    for _ in range(2):
        writer = subprocess.Popen(
            [sys.executable, "-c", REWRITER, s3_lake, *map(str, sizes)], stdout=subprocess.PIPE, text=True
        )
        assert writer.stdout is not None and writer.stdout.readline().strip() == "ready"
        seen = set()
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            try:
                articles = lake.read_partition(root, "articles", DAY).num_rows
            except FileNotFoundError as exc:  # only before the very first write
                assert "no articles partition" in str(exc) and not seen, exc
                continue
            seen.add(articles)
        writer.send_signal(signal.SIGKILL)
        writer.wait()
        assert seen and seen <= set(sizes), seen
        # Both datasets switch together: after the kill the day is whole, one version of it.
        manifest = lake.read_manifest(root, DAY)
        assert lake.read_partition(root, "articles", DAY).num_rows in sizes
        assert lake.read_partition(root, "articles", DAY) == lake.read_partition(root, "mentions", DAY)
        assert set(manifest) == {"articles", "mentions"}


def test_locks_and_seen_urls_are_kept_beside_the_lake_where_every_worker_reaches_them(s3_lake: str) -> None:
    settings = Settings(lake_uri=location(s3_lake))
    assert str(settings.locks_dir) == s3_lake.removesuffix("/lake") + "/locks"
    locks.acquire(settings.locks_dir, DAY, "airflow:news_ingest:run-1")
    with pytest.raises(locks.DayLockedError, match="run-1"):
        locks.acquire(settings.locks_dir, DAY, "cli on another host")
    locks.release(settings.locks_dir, DAY, "airflow:news_ingest:run-1")
    locks.acquire(settings.locks_dir, DAY, "cli on another host")

    monday = SeenUrls(settings.lake_uri, "web", DAY)
    monday.record("https://example.org/a", "hash-a", {"etag": '"v1"'})
    monday.save()
    tuesday = SeenUrls(settings.lake_uri, "web", date(2024, 7, 11))
    seen = tuesday.lookup("https://example.org/a")
    assert seen is not None and (seen.first_seen, seen.content_hash, seen.etag) == (DAY, "hash-a", '"v1"')
    assert SeenUrls(settings.lake_uri, "other", date(2024, 7, 11)).lookup("https://example.org/a") is None


def test_a_lake_uri_puts_staging_archive_and_locks_beside_it_and_needs_a_prefix() -> None:
    settings = Settings.from_env(
        {"NEWSFLOW_LAKE_URI": "s3://news-bucket/prod/lake", "NEWSFLOW_DATA_DIR": "/srv"}
    )
    beside = [settings.staging_dir, settings.archive_dir, settings.locks_dir]
    assert [str(p) for p in beside] == [
        f"s3://news-bucket/prod/{name}" for name in ("staging", "raw", "locks")
    ]
    assert settings.warehouse_path == Path("/srv/warehouse.duckdb")  # this machine's file
    with pytest.raises(ValueError, match="prefix inside its bucket"):
        Settings.from_env({"NEWSFLOW_LAKE_URI": "s3://news-bucket"})
