"""The Parquet lake: hive-style day partitions, written atomically, replaced whole on re-runs."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.dataset as pads
import pyarrow.parquet as pq

from newsflow.schema import to_table

PART_FILE = "part-0.parquet"
# What the warehouse loads; `signatures` is the history index that only the dedup step reads.
DATASETS = ("articles", "quarantine", "mentions", "candidates", "fetch_log")
SIGNATURES = "signatures"
QUALITY = "quality"  # Great Expectations' result of each day, as JSON (not a Parquet dataset)


def partition_dir(lake_dir: Path, dataset: str, day: date) -> Path:
    return lake_dir / dataset / f"ingest_date={day.isoformat()}"


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A hidden temporary path to write; renamed to `path` when the block succeeds, removed if not.

    Readers never see half a file, and a crash leaves the previous version in place.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_table_atomic(table: pa.Table, path: Path) -> Path:
    """Write one Parquet file atomically."""
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp, compression="zstd")
    return path


def write_shards(
    records: Iterable[Any],
    record_type: type,
    folder: Path,
    max_rows: int,
    max_bytes: int,
    size: Callable[[Any], int],
) -> list[Path]:
    """Replace `folder` with the records as numbered Parquet shards of at most `max_rows` rows and
    about `max_bytes` (as measured by `size`), streaming: one shard is in memory at a time."""
    building = folder.with_name(f".{folder.name}.{uuid.uuid4().hex}.tmp")
    building.mkdir(parents=True)
    names: list[str] = []
    batch: list[Any] = []
    batch_bytes = 0

    def flush() -> None:
        names.append(f"shard-{len(names):05d}.parquet")
        pq.write_table(to_table(batch, record_type), building / names[-1], compression="zstd")
        batch.clear()

    try:
        for record in records:
            batch.append(record)
            batch_bytes += size(record)
            if len(batch) >= max_rows or batch_bytes >= max_bytes:
                flush()
                batch_bytes = 0
        if batch:
            flush()
        shutil.rmtree(folder, ignore_errors=True)
        building.rename(folder)
    finally:
        shutil.rmtree(building, ignore_errors=True)
    return [folder / name for name in names]


def write_partition(table: pa.Table | pa.RecordBatchReader, lake_dir: Path, dataset: str, day: date) -> Path:
    """Replace the day's partition of `dataset` with `table` (an empty table still makes a partition)."""
    return replace_partitions([(dataset, table)], lake_dir, day)[0]


def replace_partitions(
    tables: Iterable[tuple[str, pa.Table | pa.RecordBatchReader]], lake_dir: Path, day: date
) -> list[Path]:
    """Replace the day's partition of each dataset with its table, all or none.

    A partition is one Parquet file, replaced by one `os.replace`: a reader, or a crash at any
    point, sees the old day or the new one, never neither and never both. Every new file is
    written first, under a hidden name that no `*.parquet` glob matches; only when all are
    written are they put in place, so a failure while writing (a full disk, a read-only folder)
    replaces nothing and a day never mixes old and new datasets. A crashed writer's leftovers are
    removed by the next write. A RecordBatchReader is written batch by batch, so a large day never
    sits in memory whole; `tables` may be a generator that opens each one in turn.
    """
    written: list[tuple[Path, Path]] = []
    try:
        for dataset, table in tables:
            final = partition_dir(lake_dir, dataset, day)
            final.mkdir(parents=True, exist_ok=True)
            for leftover in final.glob(f".{PART_FILE}.*.tmp"):
                leftover.unlink(missing_ok=True)
            written.append((final / f".{PART_FILE}.{uuid.uuid4().hex}.tmp", final / PART_FILE))
            with pq.ParquetWriter(written[-1][0], table.schema, compression="zstd") as writer:
                for batch in table.to_batches() if isinstance(table, pa.Table) else table:
                    writer.write_batch(batch)
    except BaseException:
        for tmp, _ in written:
            tmp.unlink(missing_ok=True)
        raise
    for tmp, final in written:
        os.replace(tmp, final)
    return [final.parent for _, final in written]


def read_table(path: Path) -> pa.Table:
    return pq.read_table(path)


def count_rows(path: Path) -> int:
    return pq.read_metadata(path).num_rows


def read_partition(lake_dir: Path, dataset: str, day: date, columns: list[str] | None = None) -> pa.Table:
    path = partition_dir(lake_dir, dataset, day) / PART_FILE
    if not path.exists():
        raise FileNotFoundError(f"no {dataset} partition for {day}: {path} is missing")
    return pq.read_table(path, columns=columns)


def partition_files(lake_dir: Path, dataset: str) -> list[Path]:
    """The visible part files of a dataset, oldest day first (hidden in-flight folders excluded)."""
    return sorted((lake_dir / dataset).glob(f"ingest_date=*/{PART_FILE}"))


def files_before(lake_dir: Path, dataset: str, day: date, since: date | None = None) -> list[Path]:
    """Part files of every partition strictly before `day` (and from `since` on), oldest first.

    Only earlier days count, so re-running a day never sees its own previous output.
    """
    first = f"ingest_date={since.isoformat()}" if since else ""
    last = f"ingest_date={day.isoformat()}"
    return [p for p in partition_files(lake_dir, dataset) if first <= p.parent.name < last]


def read_before(
    lake_dir: Path, dataset: str, day: date, columns: list[str], since: date | None = None
) -> pa.Table | None:
    """`columns` of every partition strictly before `day` (and from `since` on); None when there is none."""
    files = files_before(lake_dir, dataset, day, since)
    if not files:
        return None
    return pads.dataset([str(p) for p in files], format="parquet").to_table(columns=columns)
