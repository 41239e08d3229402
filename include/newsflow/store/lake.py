"""The Parquet lake: hive-style day partitions on a folder or an object store, replaced whole on re-runs.

Layout under the lake (`Settings.lake_uri`, a folder or `s3://bucket/prefix`):

    <dataset>/ingest_date=D/part-<id>.parquet   one file per dataset and day, a new id per write
    _manifests/ingest_date=D.json               which file of each dataset is the day's

A day is switched to its new files by rewriting its manifest, one small object: object stores
have no rename, and this way a reader or a crash sees the old day or the new one, all datasets
together, never a mix. A file no manifest names is invisible; the previous generation is kept
(a reader that resolved the old manifest can still read it), older ones are deleted.

A damaged manifest (not JSON, no `files`, or naming a file that is gone) is its day's problem:
readers of many days skip that day with one logged line, and the day's next write replaces it.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeVar

import pyarrow as pa
import pyarrow.dataset as pads
import pyarrow.parquet as pq
from upath import UPath

from newsflow.schema import to_table
from newsflow.store.storage import arrow_filesystem, atomic_path, read_bytes, read_many, remove, write_bytes

QUALITY = "quality"  # Great Expectations' result of each day, as JSON (not a Parquet dataset)
MANIFESTS = "_manifests"
SHARD_LIST = "_shards.json"
READ_ATTEMPTS = 3  # a reader that finds its file replaced meanwhile reads the manifest again

Location = Path | UPath
_T = TypeVar("_T")
LOGGER = logging.getLogger(__name__)


class DamagedManifestError(ValueError):
    """A day's manifest cannot be used: it is not JSON, has no `files`, or names a file that is gone."""


def partition_dir(lake_uri: Location, dataset: str, day: date) -> Location:
    return lake_uri / dataset / f"ingest_date={day.isoformat()}"


def manifest_path(lake_uri: Location, day: date) -> Location:
    return lake_uri / MANIFESTS / f"ingest_date={day.isoformat()}.json"


def write_table_atomic(table: pa.Table, path: Location) -> Location:
    """Write one Parquet file in one step (see `storage.atomic_path`)."""
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp, compression="zstd")
    return path


def write_shards(
    records: Iterable[Any],
    record_type: type,
    folder: Location,
    max_rows: int,
    max_bytes: int,
    size: Callable[[Any], int],
    workers: int = 1,
) -> list[Location]:
    """Replace the shards of `folder` with the records as numbered Parquet shards of at most
    `max_rows` rows and about `max_bytes` (as measured by `size`), streaming: one shard is in
    memory at a time. The shards go to a new generation folder; `folder/_shards.json`, written
    last, names them, so a failure half way leaves the previous shards the current ones.

    When there are more shards than the `workers` that will process them, but not a multiple of
    them, the last is cut into as many pieces as make them one (as far as its rows go): the pool's
    last round then keeps every worker busy, instead of one working through a whole shard alone."""
    generation = folder / uuid.uuid4().hex[:12]
    names: list[str] = []
    batch: list[Any] = []
    batch_bytes = 0

    def flush(rows: list[Any]) -> None:
        names.append(f"shard-{len(names):05d}.parquet")
        write_table_atomic(to_table(rows, record_type), generation / names[-1])

    for record in records:
        if len(batch) >= max_rows or batch_bytes >= max_bytes:  # full: written once another record comes
            flush(batch)
            batch, batch_bytes = [], 0
        batch.append(record)
        batch_bytes += size(record)
    if batch:
        shards = len(names) + 1
        pieces = workers - shards % workers + 1 if shards > workers and shards % workers else 1
        pieces = min(pieces, len(batch))
        for piece in range(pieces):
            flush(batch[piece * len(batch) // pieces : (piece + 1) * len(batch) // pieces])
    write_bytes(folder / SHARD_LIST, json.dumps([f"{generation.name}/{n}" for n in names]).encode())
    for old in _children(folder):
        if old.name not in (generation.name, SHARD_LIST):
            remove(old)
    return [generation / name for name in names]


def shard_files(folder: Location) -> list[Location]:
    """The shards `write_shards` last wrote to `folder` (none if it never did)."""
    try:
        return [folder / name for name in json.loads(read_bytes(folder / SHARD_LIST))]
    except FileNotFoundError:
        return []


def write_partition(
    table: pa.Table | pa.RecordBatchReader, lake_uri: Location, dataset: str, day: date
) -> Location:
    """Replace the day's partition of `dataset` with `table` (an empty table still makes a partition)."""
    return replace_partitions([(dataset, table)], lake_uri, day)[0]


def replace_partitions(
    tables: Iterable[tuple[str, pa.Table | pa.RecordBatchReader]], lake_uri: Location, day: date
) -> list[Location]:
    """Replace the day's partition of each dataset with its table, all or none; the new files.

    Every new file is written first, under a new name no manifest knows; only when all are
    written does the day's manifest switch to them, in one write. A failure while writing (a full
    disk, a lost connection) replaces nothing. A RecordBatchReader is written batch by batch, so
    a large day never sits in memory whole; `tables` may be a generator that opens each one in turn.
    """
    previous = _manifest_to_replace(lake_uri, day)
    written: dict[str, Location] = {}
    try:
        for dataset, table in tables:
            path = partition_dir(lake_uri, dataset, day) / f"part-{uuid.uuid4().hex[:16]}.parquet"
            with atomic_path(path) as tmp, pq.ParquetWriter(tmp, table.schema, compression="zstd") as writer:
                for batch in table.to_batches() if isinstance(table, pa.Table) else table:
                    writer.write_batch(batch)
            written[dataset] = path
    except BaseException:
        for path in written.values():
            remove(path)
        raise
    _write_manifest(lake_uri, day, previous | {dataset: path.name for dataset, path in written.items()})
    for dataset, path in written.items():
        keep = {path.name, previous.get(dataset)}
        for old in _children(path.parent):
            if old.name not in keep:
                remove(old)
    return list(written.values())


def drop_partitions(lake_uri: Location, day: date, datasets: Iterable[str]) -> None:
    """Take the day's partitions of `datasets` out of the lake (readers stop seeing them, then the files go)."""
    current = _manifest_to_replace(lake_uri, day)
    datasets = list(datasets)
    _write_manifest(lake_uri, day, {d: name for d, name in current.items() if d not in datasets})
    for dataset in datasets:
        remove(partition_dir(lake_uri, dataset, day))


def read_manifest(lake_uri: Location, day: date) -> dict[str, str]:
    """dataset -> the file name of the day's partition (empty when the day has no manifest);
    DamagedManifestError, naming the file, when it cannot be read."""
    path = manifest_path(lake_uri, day)
    try:
        return _manifest_files(path, read_bytes(path))
    except FileNotFoundError:
        return {}


def _manifest_files(path: Location, manifest: bytes) -> dict[str, str]:
    try:
        files = json.loads(manifest)["files"]
    except ValueError as exc:  # also bytes that are not UTF-8
        raise DamagedManifestError(f"{path}: damaged manifest, not JSON ({exc})") from None
    except (KeyError, TypeError):
        raise DamagedManifestError(f"{path}: damaged manifest, no `files` key") from None
    if not isinstance(files, dict) or not all(
        isinstance(name, str) and "/" not in name and name not in ("", ".", "..") for name in files.values()
    ):
        raise DamagedManifestError(f"{path}: damaged manifest, `files` is not dataset -> file name")
    return files


def _manifest_to_replace(lake_uri: Location, day: date) -> dict[str, str]:
    """The manifest a write of the day starts from: a damaged one is replaced by what is written."""
    try:
        return read_manifest(lake_uri, day)
    except DamagedManifestError as exc:
        LOGGER.warning("%s: replaced by this write (datasets it does not write return when rewritten)", exc)
        return {}


def _write_manifest(lake_uri: Location, day: date, files: dict[str, str]) -> None:
    manifest = {"ingest_date": day.isoformat(), "written_at": datetime.now(UTC).isoformat(), "files": files}
    write_bytes(manifest_path(lake_uri, day), json.dumps(manifest, indent=1, sort_keys=True).encode())


def partition_file(lake_uri: Location, dataset: str, day: date) -> Location | None:
    """The current file of the day's partition of `dataset`, or None when the lake has none."""
    name = read_manifest(lake_uri, day).get(dataset)
    return partition_dir(lake_uri, dataset, day) / name if name is not None else None


def partition_files(lake_uri: Location, dataset: str) -> list[Location]:
    """The current file of every day's partition of `dataset`, oldest day first."""
    return current_files(lake_uri, [dataset])[dataset]


def current_files(lake_uri: Location, datasets: Iterable[str]) -> dict[str, list[Location]]:
    """dataset -> the current file of every readable day's partition, oldest day first (see `scan`)."""
    return scan(lake_uri, datasets).files


@dataclass(frozen=True, slots=True)
class LakeScan:
    files: dict[str, list[Location]]  # dataset -> the current file of every readable day, oldest first
    damaged: dict[date, str]  # day -> why its manifest cannot be used (logged); its files are left out


def scan(lake_uri: Location, datasets: Iterable[str]) -> LakeScan:
    """The current files of `datasets` in every day, and the days whose manifest is damaged.

    Every manifest is read once, whatever the number of datasets (on an object store, in one batch
    of requests), and each dataset is listed once to find named files that are gone.
    """
    datasets = list(datasets)
    paths: list[Location] = sorted(lake_uri.glob(f"{MANIFESTS}/ingest_date=*.json"))
    manifests: dict[date, dict[str, str]] = {}
    damaged: dict[date, str] = {}
    for path, data in zip(paths, read_many(paths), strict=True):
        day = date.fromisoformat(path.name.removeprefix("ingest_date=").removesuffix(".json"))
        try:
            manifests[day] = _manifest_files(path, data)
        except DamagedManifestError as exc:
            damaged[day] = str(exc)
    listed = {  # (dataset, partition folder, file name) of every file there is
        (file.parent.parent.name, file.parent.name, file.name)
        for dataset in datasets
        for file in lake_uri.glob(f"{dataset}/ingest_date=*/*.parquet")
    }
    for day, files in list(manifests.items()):
        folder = f"ingest_date={day.isoformat()}"
        if any((d, folder, files[d]) not in listed for d in datasets if d in files):
            try:  # read again: the day may have been replaced meanwhile
                manifests[day] = _all_present(lake_uri, day, datasets)
            except DamagedManifestError as exc:
                damaged[day] = str(exc)
    for day, reason in sorted(damaged.items()):
        manifests.pop(day, None)
        LOGGER.error("%s; the day is left out until it is ingested again", reason)
    found = {
        dataset: [
            partition_dir(lake_uri, dataset, day) / files[dataset]
            for day, files in sorted(manifests.items())
            if dataset in files
        ]
        for dataset in datasets
    }
    return LakeScan(found, damaged)


def _all_present(lake_uri: Location, day: date, datasets: list[str]) -> dict[str, str]:
    """The day's manifest, if every file of `datasets` it names exists; else DamagedManifestError."""
    files = read_manifest(lake_uri, day)
    for dataset in datasets:
        if dataset in files and not (partition_dir(lake_uri, dataset, day) / files[dataset]).exists():
            raise DamagedManifestError(
                f"{manifest_path(lake_uri, day)}: damaged manifest, its {dataset} file {files[dataset]} is gone"
            )
    return files


def day_of(file: Location) -> date:
    """The ingest date of a partition file."""
    return date.fromisoformat(file.parent.name.removeprefix("ingest_date="))


def read_table(path: Location, columns: list[str] | None = None) -> pa.Table:
    source, filesystem = arrow_filesystem(path)
    return pq.read_table(source, columns=columns, filesystem=filesystem)


def schema_metadata(path: Location) -> dict[bytes, bytes]:
    """The key-value metadata stored in a Parquet file's schema (its footer only is read)."""
    source, filesystem = arrow_filesystem(path)
    return dict(pq.read_schema(source, filesystem=filesystem).metadata or {})


def count_rows(path: Location) -> int:
    source, filesystem = arrow_filesystem(path)
    rows: int = pq.read_metadata(source, filesystem=filesystem).num_rows
    return rows


def read_partition(lake_uri: Location, dataset: str, day: date, columns: list[str] | None = None) -> pa.Table:
    return _with_current_file(lake_uri, dataset, day, lambda path: read_table(path, columns))


def count_partition_rows(lake_uri: Location, dataset: str, day: date) -> int:
    return _with_current_file(lake_uri, dataset, day, count_rows)


def _with_current_file(lake_uri: Location, dataset: str, day: date, read: Callable[[Location], _T]) -> _T:
    """`read` the day's current file; if it vanished meanwhile (the day was replaced twice while
    this reader held the old manifest), the manifest is read again."""
    for attempt in range(READ_ATTEMPTS):
        path = partition_file(lake_uri, dataset, day)
        if path is None:
            raise FileNotFoundError(f"no {dataset} partition for {day} in {lake_uri}")
        try:
            return read(path)
        except FileNotFoundError:
            if attempt == READ_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def files_before(lake_uri: Location, dataset: str, day: date) -> list[Location]:
    """Part files of every partition strictly before `day`, oldest first.

    Only earlier days count, so re-running a day never sees its own previous output.
    """
    return [p for p in partition_files(lake_uri, dataset) if day_of(p) < day]


def read_files(files: list[Location], columns: list[str] | None = None) -> pa.Table:
    """The rows of several Parquet files on one filesystem, as one table."""
    _, filesystem = arrow_filesystem(files[0])
    sources = [arrow_filesystem(p)[0] for p in files]
    return pads.dataset(sources, format="parquet", filesystem=filesystem).to_table(columns=columns)


def _children(folder: Location) -> list[Location]:
    return list(folder.iterdir()) if folder.exists() else []
