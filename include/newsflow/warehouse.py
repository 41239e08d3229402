"""Builds data/warehouse.duckdb from the Parquet lake by running include/sql/*.sql in order."""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path

import duckdb
import pyarrow as pa

from newsflow import entities, lake
from newsflow.schema import ARTICLE_SCHEMA, MENTION_SCHEMA, QUARANTINE_SCHEMA
from newsflow.settings import Settings

LOGGER = logging.getLogger(__name__)

LAKE_INPUTS = {"articles": ARTICLE_SCHEMA, "quarantine": QUARANTINE_SCHEMA, "mentions": MENTION_SCHEMA}
_MATERIALIZED = re.compile(r"^--\s*materialized:\s*(table|view)\s*$", re.MULTILINE)


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


def build_warehouse(settings: Settings) -> Path:
    """Rebuild the warehouse from the whole lake into a new file, then swap it into place.

    Readers holding the old file keep a consistent copy, and a failed build leaves the previous
    warehouse untouched.
    """
    target = settings.warehouse_path
    target.parent.mkdir(parents=True, exist_ok=True)
    building = target.with_name(f".{target.name}.building")
    building.unlink(missing_ok=True)
    con = duckdb.connect(str(building))
    try:
        _register_inputs(con, settings)
        for name, materialized, sql in sql_models(settings.sql_dir):
            con.execute(f"create or replace {materialized} {name} as {sql}")
            LOGGER.info("built %s %s", materialized, name)
        con.execute("checkpoint")
    finally:
        con.close()
    os.replace(building, target)
    return target


def _register_inputs(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    """Expose the lake datasets and the gazetteer to the SQL models as raw_* relations."""
    for dataset, schema in LAKE_INPUTS.items():
        files = [str(p) for p in lake.partition_files(settings.lake_dir, dataset)]
        if files:
            con.read_parquet(files).create_view(f"raw_{dataset}")
        else:
            con.register(f"raw_{dataset}", schema.empty_table())
    gazetteer = entities.load_gazetteer(settings.entities_path)
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
