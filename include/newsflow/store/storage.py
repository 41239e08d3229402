"""Where shared data lives: a local folder, or an object store (`s3://bucket/prefix`) through fsspec.

A path here is a `UPath`: on a local folder it is a plain `pathlib.Path`, on an object store an
fsspec path with the same `/`, `exists`, `glob` and `open`. Object stores have no rename, so
nothing here relies on one: a file is written to a local temporary file, then moved into place
in one step (a rename on a folder, a single upload on a store, which shows the object whole or
not at all). The store is configured the standard way: AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID,
AWS_SECRET_ACCESS_KEY, AWS_DEFAULT_REGION.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow.fs as pafs
from upath import UPath

if TYPE_CHECKING:
    from typing_extensions import TypeIs


def location(uri: str | os.PathLike[str]) -> Path | UPath:
    """A folder path or a URI (`s3://bucket/prefix`) as a path; a local one is a `pathlib.Path`."""
    return UPath(uri)


def is_local(path: Path | UPath) -> TypeIs[Path]:
    """Whether `path` is on this machine: a `pathlib.Path`; else a `UPath` with `fs` and `path`."""
    return isinstance(path, Path)


@contextmanager
def atomic_path(path: Path | UPath) -> Iterator[Path]:
    """A local temporary path to write; moved to `path` in one step when the block succeeds.

    Readers never see half a file, and a failure (or a crash) leaves the previous version in place.
    """
    if is_local(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
        try:
            yield tmp
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
        return
    with tempfile.TemporaryDirectory(prefix="newsflow-") as folder:
        tmp = Path(folder) / path.name
        yield tmp
        path.fs.put_file(str(tmp), path.path)


def read_bytes(path: Path | UPath) -> bytes:
    """A small file in one read (one GET: a file replaced meanwhile is read old or new, whole)."""
    return path.read_bytes() if is_local(path) else path.fs.cat_file(path.path)


def read_many(paths: list[Path | UPath]) -> list[bytes]:
    """Small files of one filesystem, in order; on an object store fetched concurrently."""
    if not paths or is_local(paths[0]):
        return [read_bytes(path) for path in paths]
    remote = [path for path in paths if not is_local(path)]
    assert len(remote) == len(paths)  # one filesystem, and the first path is not local
    found = remote[0].fs.cat([path.path for path in remote])
    return [found[path.path] for path in remote]


def write_bytes(path: Path | UPath, data: bytes) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def create_exclusive(path: Path | UPath, data: bytes) -> None:
    """Write `path` only if it does not exist yet, in one step; FileExistsError if it does.

    On a folder a hard link of a written temporary file (a reader never sees it empty); on an
    object store a conditional PUT (If-None-Match: *).
    """
    if is_local(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
        try:
            tmp.write_bytes(data)
            os.link(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
        return
    path.fs.pipe_file(path.path, data, mode="create")


def remove(path: Path | UPath) -> None:
    """Delete a file, or a folder with everything under it; nothing happens if it is not there."""
    if not is_local(path):
        with suppress(FileNotFoundError):
            path.fs.rm(path.path, recursive=True)
    elif path.is_dir():
        retired = path.with_name(f".{path.name}.{uuid.uuid4().hex}.removed")
        path.rename(retired)  # one step: a crash during the delete leaves no half folder behind
        shutil.rmtree(retired, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def arrow_filesystem(path: Path | UPath) -> tuple[str, pafs.FileSystem | None]:
    """(path, filesystem) for pyarrow's readers and writers: no filesystem for a local path."""
    if is_local(path):
        return str(path), None
    return path.path, pafs.PyFileSystem(pafs.FSSpecHandler(path.fs))


def attach(con: duckdb.DuckDBPyConnection, *paths: Any) -> duckdb.DuckDBPyConnection:
    """Let DuckDB read these paths: an object store's fsspec filesystem is registered on the
    connection (DuckDB's own httpfs extension is not needed), a local folder needs nothing."""
    known = set(con.list_filesystems())
    for path in paths:
        if is_local(path):
            continue
        name = path.fs.protocol if isinstance(path.fs.protocol, str) else path.fs.protocol[0]
        if name not in known:
            con.register_filesystem(path.fs)
            known.add(name)
    return con
