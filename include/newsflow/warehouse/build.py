"""The DuckDB warehouse: loads new lake partitions incrementally, then builds the models of
include/sql (`warehouse.models`) in their order, in one transaction, on a copy swapped in whole."""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import re
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from newsflow.entities import names, watchlist
from newsflow.schema import ENTITY_SCHEMA, FETCH_LOG_MACROS, WAREHOUSE_DATASETS
from newsflow.settings import Settings
from newsflow.store import lake, storage
from newsflow.warehouse.models import Model, sql_models

LOGGER = logging.getLogger(__name__)

LOADED_TABLE = "lake_partitions_loaded"
MODELS_TABLE = "warehouse_models"  # the SQL each incremental model was built with
# The datasets whose rows carry mentions' dates: a change in any can move mentions between weeks.
_MENTION_INPUTS = ("articles", "mentions", "discovered")
# The dates of a mention, one per clock (publication, first ingest): their ISO weeks are the refresh unit.
_MENTION_DATES = ("mention_date", "first_ingest_date")


@dataclass(frozen=True, slots=True)
class BuildResult:
    path: Path
    loaded: list[str]  # "dataset/ingest_date=D" partitions (re)loaded by this build
    removed: list[str]  # partitions that left the lake, and so the warehouse


class GrainError(ValueError):
    """A model has two rows with the same key, which its `-- unique:` header says identifies a row."""


class WarehouseNotUpdatedError(OSError):
    """The build could not write (a full disk, an open read-write session): the warehouse is as it
    was, and the next build loads what this one missed."""


def build_warehouse(settings: Settings, full: bool = False) -> BuildResult:
    """Bring the warehouse up to date with the lake, in one transaction, at a cost that follows the day.

    Only partitions that are new or were rewritten since the last build (the lake's manifest
    names another file) are read; partitions gone from the lake are deleted. Views cost nothing to refresh;
    small tables are rebuilt; the big aggregates (`incremental by week of COLUMN`) recompute only
    the weeks whose mentions changed: the weeks of the changed articles' mentions, before and
    after the load. A model whose SQL changed is rebuilt whole. `full=True` starts from an empty
    file, and must give the same tables.

    The build works on a copy and swaps it in with one `os.replace` once every model built: a
    failed build leaves the warehouse as it was, and an analyst's open (read-only) session never
    blocks it; that session keeps reading its snapshot. A write-ahead log beside the file is settled
    first (`_settle_wal`), so that no reader ever finds the new file beside another file's log.
    """
    path = settings.warehouse_path
    path.parent.mkdir(parents=True, exist_ok=True)
    building = path.with_name(f".{path.name}.{uuid.uuid4().hex}.building")
    # Builds of two days may finish together: they take turns (the lock goes with the process).
    with open(path.with_name(f".{path.name}.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        for leftover in path.parent.glob(f".{path.name}.*.building*"):  # a crashed build's copy
            leftover.unlink(missing_ok=True)
        try:
            if path.exists() and not full:
                if _settle_wal(path):  # committed work of a session that died: replayed into the copy
                    shutil.copyfile(_wal(path), _wal(building))
                shutil.copyfile(path, building)
            with duckdb.connect(str(building)) as con:
                loaded, removed = _refresh(con, settings)
            _settle_wal(path)
            _wal(path).unlink(missing_ok=True)  # in the copy, or belonging to the file replaced now
            os.replace(building, path)  # readers of the old file keep it; the next connection sees this one
        except WarehouseNotUpdatedError:
            raise
        except (OSError, duckdb.IOException) as exc:
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise WarehouseNotUpdatedError(
                f"{path} not updated, left as it was (the next build loads what this one missed): {reason}"
            ) from exc
        finally:
            building.unlink(missing_ok=True)
            _wal(building).unlink(missing_ok=True)
    LOGGER.info("warehouse %s: loaded %d partitions, removed %d", path, len(loaded), len(removed))
    return BuildResult(path, loaded, removed)


def _wal(database: Path) -> Path:
    return database.with_name(database.name + ".wal")


def _settle_wal(path: Path) -> bool:
    """Whether the warehouse has a write-ahead log of its own to carry into the copy: committed work
    of a read-write session (an analyst's `duckdb data/warehouse.duckdb`) that ended without a
    checkpoint, e.g. killed. A log that belongs to an older file (swapped in beside it by an
    earlier build) can never be replayed: it is removed. A read-write session still open is an
    error: the file swapped in would find that session's log beside it."""
    if not path.exists():
        return False
    try:
        with duckdb.connect(str(path), read_only=True, config={"enable_external_access": False}):
            return _wal(path).exists()
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            holder = re.search(r"PID \d+", str(exc))
            raise WarehouseNotUpdatedError(
                f"{path} is open read-write by another process ({holder[0] if holder else 'see lsof'}): close "
                "that session (read-only sessions, `duckdb -readonly`, never block a build)"
            ) from exc
        if not _wal(path).exists():
            raise
        LOGGER.warning("%s cannot be replayed (%s): removed", _wal(path), str(exc).splitlines()[0])
        _wal(path).unlink()
        return False


def _refresh(con: duckdb.DuckDBPyConnection, settings: Settings) -> tuple[list[str], list[str]]:
    """Load the changed lake partitions and refresh every model, in one transaction."""
    con.execute("begin transaction")
    try:
        models = sql_models(settings.sql_dir)
        con.execute(f"create table if not exists {MODELS_TABLE} (name varchar primary key, sql varchar)")
        con.execute(FETCH_LOG_MACROS)  # is_fetch_failure and is_policy_skip, for the models and analysts
        _register_gazetteer(con, settings.entities_path)
        con.execute("create temp table changed_articles (article_id varchar)")
        con.execute("create temp table changed_weeks (week_start date)")
        changes = _changed_partitions(con, settings.lake_uri)
        _note_changed_articles(con, changes)
        _note_changed_weeks(con)  # before the load: the weeks the changed articles leave
        loaded, removed = _apply(con, changes)
        weeks_after_noted = False
        for model in models:
            if not _build_model(con, model):
                if not weeks_after_noted:  # the staging views are rebuilt by now
                    _note_changed_weeks(con)  # after the load: the weeks they now count in
                    weeks_after_noted = True
                _refresh_model(con, model)
            _check_unique(con, model)
        con.execute("commit")
    except BaseException:
        with contextlib.suppress(duckdb.Error):  # a failed commit has no transaction left to roll back:
            con.execute("rollback")  # that must not hide why it failed (e.g. no space left on device)
        raise
    return loaded, removed


def _build_model(con: duckdb.DuckDBPyConnection, model: Model) -> bool:
    """Views and tables as their SQL says; an incremental table only when it is new or its SQL
    changed; a table macro (a query an analyst calls with arguments) as declared. False when the
    model is an existing incremental table, to refresh for the changed weeks."""
    if model.materialized == "macro":
        con.execute(f"create or replace macro {model.name}{model.parameters} as table {model.sql}")
        return True
    kind = "view" if model.materialized == "view" else "table"
    existing = con.execute(
        "select table_type from information_schema.tables where table_name = ? and table_schema = 'main'",
        [model.name],
    ).fetchone()
    if existing is not None and (existing[0] == "VIEW") != (kind == "view"):  # its materialization changed
        con.execute(f"drop {'view' if existing[0] == 'VIEW' else 'table'} {model.name}")
        con.execute(f"delete from {MODELS_TABLE} where name = ?", [model.name])
    if model.materialized != "incremental":
        con.execute(f"create or replace {kind} {model.name} as {model.sql}")
        return True
    built = con.execute(f"select sql from {MODELS_TABLE} where name = ?", [model.name]).fetchone()
    if built is not None and built[0] == model.sql:
        return False
    con.execute(f"create or replace temp view refresh_weeks as {_mention_weeks()}")
    con.execute(f"create or replace table {model.name} as {model.sql}")
    con.execute(f"insert or replace into {MODELS_TABLE} values (?, ?)", [model.name, model.sql])
    return True


def _check_unique(con: duckdb.DuckDBPyConnection, model: Model) -> None:
    """Fail the build when two rows of the model share the key its `-- unique:` header declares."""
    if not model.unique:
        return
    key = ", ".join(model.unique)
    duplicate = con.execute(
        f"select {key}, count(*) from {model.name} group by all having count(*) > 1 order by all limit 1"
    ).fetchone()
    if duplicate is not None:
        shared = ", ".join(
            f"{column} = {value!r}" for column, value in zip(model.unique, duplicate[:-1], strict=True)
        )
        raise GrainError(
            f"model {model.name} breaks its grain (unique: {key}): {duplicate[-1]} rows have {shared}"
        )


def _note_changed_weeks(con: duckdb.DuckDBPyConnection) -> None:
    """Add the weeks in which the changed articles have mentions (on either clock), as the warehouse
    stands now."""
    if not _columns(con, "stg_mentions"):  # a new warehouse: every incremental model is built whole
        return
    weeks = _mention_weeks("where article_id in (select article_id from changed_articles)")
    con.execute(f"insert into changed_weeks {weeks} except select week_start from changed_weeks")
    # An exact copy on another day gains or loses its duplicate status with them (stg_articles): the
    # weeks it counts or counted in are its dates', on either clock.
    copies = (
        "from stg_articles where content_hash in (select content_hash from stg_articles "
        "where article_id in (select article_id from changed_articles))"
    )
    dates = " union ".join(
        f"select cast(date_trunc('week', {column}) as date) as week_start {copies}"
        for column in ("article_date", "first_ingest_date")
    )
    con.execute(f"insert into changed_weeks {dates} except select week_start from changed_weeks")


def _mention_weeks(where: str = "") -> str:
    """A query of the ISO weeks of stg_mentions' dates, on either clock."""
    return " union ".join(
        f"select cast(date_trunc('week', {column}) as date) as week_start from stg_mentions {where}"
        for column in _MENTION_DATES
    )


def _refresh_model(con: duckdb.DuckDBPyConnection, model: Model) -> None:
    """Replace the changed weeks' rows of an incremental model."""
    con.execute("create or replace temp view refresh_weeks as select week_start from changed_weeks")
    week = f"cast(date_trunc('week', {model.week_column}) as date)"
    con.execute(f"delete from {model.name} where {week} in (select week_start from changed_weeks)")
    con.execute(f"insert into {model.name} {model.sql}")


@dataclass(frozen=True, slots=True)
class PartitionChange:
    dataset: str
    day: str
    file: lake.Location | None  # None: the partition left the lake


def _changed_partitions(con: duckdb.DuckDBPyConnection, lake_uri: lake.Location) -> list[PartitionChange]:
    """Lake partitions that are new, rewritten or gone since the last build (creates the lake_*
    tables). Every write of a partition has a new file name, so the name tells a rewrite. A day
    whose manifest is damaged keeps what the warehouse last loaded of it, until it is rewritten."""
    con.execute(
        f"create table if not exists {LOADED_TABLE} "
        "(dataset varchar, ingest_date date, file varchar, primary key (dataset, ingest_date))"
    )
    changes = []
    current = lake.scan(lake_uri, WAREHOUSE_DATASETS)
    for dataset, schema in WAREHOUSE_DATASETS.items():
        _ensure_table(con, f"lake_{dataset}", dataset, schema)
        known = dict(
            con.execute(
                f"select cast(ingest_date as varchar), file from {LOADED_TABLE} where dataset = ?", [dataset]
            ).fetchall()
        )
        present = {day.isoformat() for day in current.damaged}
        for file in current.files[dataset]:
            day = lake.day_of(file).isoformat()
            present.add(day)
            if known.get(day) != file.name:
                changes.append(PartitionChange(dataset, day, file))
        changes += [PartitionChange(dataset, day, None) for day in sorted(set(known) - present)]
    storage.attach(con, lake_uri)
    return changes


def _note_changed_articles(con: duckdb.DuckDBPyConnection, changes: list[PartitionChange]) -> None:
    """The articles whose mentions may move: those in changed articles/mentions partitions, old and new."""
    for change in changes:
        if change.dataset not in _MENTION_INPUTS:
            continue
        con.execute(
            f"insert into changed_articles select article_id from lake_{change.dataset} where ingest_date = ?",
            [change.day],
        )
        if change.file is not None:
            con.execute(
                "insert into changed_articles select article_id from read_parquet(?)", [str(change.file)]
            )


def _apply(con: duckdb.DuckDBPyConnection, changes: list[PartitionChange]) -> tuple[list[str], list[str]]:
    """Replace or delete the changed partitions' rows in the lake_* tables."""
    loaded, removed = [], []
    for change in changes:
        table, name = f"lake_{change.dataset}", f"{change.dataset}/ingest_date={change.day}"
        con.execute(f"delete from {table} where ingest_date = ?", [change.day])
        if change.file is None:
            con.execute(
                f"delete from {LOADED_TABLE} where dataset = ? and ingest_date = ?",
                [change.dataset, change.day],
            )
            removed.append(name)
            continue
        con.execute(f"insert into {table} by name select * from read_parquet(?)", [str(change.file)])
        con.execute(
            f"insert or replace into {LOADED_TABLE} values (?, ?, ?)",
            [change.dataset, change.day, change.file.name],
        )
        loaded.append(name)
    return loaded, removed


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    return [
        row[0]
        for row in con.execute(
            "select column_name from information_schema.columns where table_name = ? order by ordinal_position",
            [table],
        ).fetchall()
    ]


def _ensure_table(con: duckdb.DuckDBPyConnection, table: str, dataset: str, schema: pa.Schema) -> None:
    """Create lake_<dataset> from the Arrow schema; recreate it (and reload) when the schema changed."""
    columns = _columns(con, table)
    if columns == schema.names:
        return
    if columns:
        LOGGER.warning("%s columns changed; reloading every %s partition", table, dataset)
        con.execute(f"drop table {table}")
        con.execute(f"delete from {LOADED_TABLE} where dataset = ?", [dataset])
        con.execute(f"delete from {MODELS_TABLE}")  # so every incremental model is rebuilt whole
    con.register("empty_input", schema.empty_table())
    con.execute(f"create table {table} as select * from empty_input")
    con.unregister("empty_input")


def _register_gazetteer(con: duckdb.DuckDBPyConnection, entities_path: Path) -> None:
    """Expose the gazetteer to the models as the relation raw_entities (it lives in YAML, not the lake)."""
    gazetteer = watchlist.load_gazetteer(entities_path)
    rows = [
        {
            "entity_id": entity.entity_id,
            "label": entity.label,
            "entity_type": entity.entity_type,
            "wikidata_id": entity.wikidata_id,
            "aliases": list(entity.aliases),
            "acronyms": list(entity.acronyms),
            "alias_keys": sorted({names.entity_key(form) for form in (*entity.aliases, *entity.acronyms)}),
        }
        for entity in gazetteer.entities
    ]
    con.register("raw_entities", pa.Table.from_pylist(rows, schema=ENTITY_SCHEMA))


def query(
    settings: Settings, sql: str, parameters: dict[str, object] | None = None
) -> tuple[list[str], list[tuple[object, ...]]]:
    """Run one query against the warehouse, read-only: (column names, rows).

    The warehouse is opened read-only and without access to anything outside it (no `COPY … TO`,
    no reading or writing local files or URLs), so an analyst's query can only read its tables.
    """
    with read_only(settings) as con:
        cursor = con.execute(sql, parameters)
        columns = [d[0] for d in cursor.description or []]
        return columns, cursor.fetchall()


@contextlib.contextmanager
def read_only(settings: Settings) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to the warehouse that cannot reach anything outside it. It reads the
    file as it was swapped in; a build meanwhile writes a copy, so neither blocks the other."""
    if not settings.warehouse_path.exists():
        raise FileNotFoundError(f"no warehouse at {settings.warehouse_path}: run `newsflow ingest` first")
    with duckdb.connect(
        str(settings.warehouse_path), read_only=True, config={"enable_external_access": False}
    ) as con:
        yield con
