"""The DuckDB warehouse: loads new lake partitions incrementally, then runs include/sql/*.sql in order."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from newsflow import entities, lake
from newsflow.schema import (
    ARTICLE_SCHEMA,
    CANDIDATE_SCHEMA,
    FETCH_LOG_SCHEMA,
    MENTION_SCHEMA,
    QUARANTINE_SCHEMA,
)
from newsflow.settings import Settings

LOGGER = logging.getLogger(__name__)

# Lake dataset -> its schema; each is mirrored in the warehouse as table lake_<dataset>.
LAKE_INPUTS = {
    "articles": ARTICLE_SCHEMA,
    "quarantine": QUARANTINE_SCHEMA,
    "mentions": MENTION_SCHEMA,
    "candidates": CANDIDATE_SCHEMA,
    "fetch_log": FETCH_LOG_SCHEMA,
}
LOADED_TABLE = "lake_partitions_loaded"
_MATERIALIZED = re.compile(r"^--\s*materialized:\s*(table|view)\s*$", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class BuildResult:
    path: Path
    loaded: list[str]  # "dataset/ingest_date=D" partitions (re)loaded by this build
    removed: list[str]  # partitions that left the lake, and so the warehouse


def sql_models(sql_dir: Path) -> list[tuple[str, str, str]]:
    """(name, materialization, select) of every model, in file-name order (NN_name.sql)."""
    models = []
    for path in sorted(sql_dir.glob("[0-9][0-9]_*.sql")):
        sql = path.read_text(encoding="utf-8")
        match = _MATERIALIZED.search(sql)
        if match is None:
            raise ValueError(f"{path.name} lacks a '-- materialized: table|view' header line")
        models.append((path.stem.split("_", 1)[1], match.group(1), sql))
    return models


def build_warehouse(settings: Settings, full: bool = False) -> BuildResult:
    """Bring the warehouse up to date with the lake, in one transaction.

    Only partitions that are new or were rewritten since the last build (file size or mtime
    changed) are read; partitions gone from the lake are deleted. Then every SQL model is rebuilt
    from the lake_* tables, which is cheap next to reading Parquet. `full=True` starts from an
    empty file, and must give the same tables.
    """
    path = settings.warehouse_path
    path.parent.mkdir(parents=True, exist_ok=True)
    if full:
        path.unlink(missing_ok=True)
    with duckdb.connect(str(path)) as con:
        con.execute("begin transaction")
        try:
            loaded, removed = _sync_lake(con, settings.lake_dir)
            _register_gazetteer(con, settings.entities_path)
            for name, materialized, sql in sql_models(settings.sql_dir):
                con.execute(f"create or replace {materialized} {name} as {sql}")
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise
    LOGGER.info("warehouse %s: loaded %d partitions, removed %d", path, len(loaded), len(removed))
    return BuildResult(path, loaded, removed)


def _sync_lake(con: duckdb.DuckDBPyConnection, lake_dir: Path) -> tuple[list[str], list[str]]:
    con.execute(
        f"create table if not exists {LOADED_TABLE} "
        "(dataset varchar, ingest_date date, file_bytes bigint, file_mtime_ns bigint, primary key (dataset, ingest_date))"
    )
    loaded, removed = [], []
    for dataset, schema in LAKE_INPUTS.items():
        table = f"lake_{dataset}"
        _ensure_table(con, table, dataset, schema)
        known = {
            str(day): (size, mtime)
            for day, size, mtime in con.execute(
                f"select ingest_date, file_bytes, file_mtime_ns from {LOADED_TABLE} where dataset = ?",
                [dataset],
            ).fetchall()
        }
        present = {}
        for file in lake.partition_files(lake_dir, dataset):
            day = file.parent.name.removeprefix("ingest_date=")
            stat = file.stat()
            present[day] = (stat.st_size, stat.st_mtime_ns)
            if known.get(day) == present[day]:
                continue
            con.execute(f"delete from {table} where ingest_date = ?", [day])
            con.execute(f"insert into {table} by name select * from read_parquet(?)", [str(file)])
            con.execute(
                f"insert or replace into {LOADED_TABLE} values (?, ?, ?, ?)", [dataset, day, *present[day]]
            )
            loaded.append(f"{dataset}/ingest_date={day}")
        for day in sorted(set(known) - set(present)):
            con.execute(f"delete from {table} where ingest_date = ?", [day])
            con.execute(f"delete from {LOADED_TABLE} where dataset = ? and ingest_date = ?", [dataset, day])
            removed.append(f"{dataset}/ingest_date={day}")
    return loaded, removed


def _ensure_table(con: duckdb.DuckDBPyConnection, table: str, dataset: str, schema: pa.Schema) -> None:
    """Create lake_<dataset> from the Arrow schema; recreate it (and reload) when the schema changed."""
    columns = [
        row[0]
        for row in con.execute(
            "select column_name from information_schema.columns where table_name = ? order by ordinal_position",
            [table],
        ).fetchall()
    ]
    if columns == schema.names:
        return
    if columns:
        LOGGER.warning("%s columns changed; reloading every %s partition", table, dataset)
        con.execute(f"drop table {table}")
        con.execute(f"delete from {LOADED_TABLE} where dataset = ?", [dataset])
    con.register("empty_input", schema.empty_table())
    con.execute(f"create table {table} as select * from empty_input")
    con.unregister("empty_input")


def _register_gazetteer(con: duckdb.DuckDBPyConnection, entities_path: Path) -> None:
    """Expose the gazetteer to the models as the relation raw_entities (it lives in YAML, not the lake)."""
    gazetteer = entities.load_gazetteer(entities_path)
    rows = [
        {"entity_id": e.entity_id, "label": e.label, "entity_type": e.entity_type, "aliases": list(e.aliases)}
        for e in gazetteer.entities
    ]
    con.register("raw_entities", pa.Table.from_pylist(rows))


def query(
    settings: Settings, sql: str, parameters: dict[str, object] | None = None
) -> tuple[list[str], list[tuple[object, ...]]]:
    """Run one read-only query against the warehouse: (column names, rows)."""
    if not settings.warehouse_path.exists():
        raise FileNotFoundError(f"no warehouse at {settings.warehouse_path}: run `newsflow ingest` first")
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        cursor = con.execute(sql, parameters)
        columns = [d[0] for d in cursor.description or []]
        return columns, cursor.fetchall()
