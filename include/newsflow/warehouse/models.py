"""The models of include/sql: what each file declares, what it reads, and the order they build in.

Each include/sql/NAME.sql is one model, the table, view or table macro NAME. Its header comment
states its grain and how it is materialized (`-- materialized: table|view|incremental by week of
COLUMN|table macro (PARAMETERS)`), and may declare the grain's key (`-- unique: col, col`), which
the build checks once the model is built (a duplicate fails the build, naming the model and key).

Build order comes from the models' own SQL: DuckDB's parser lists the relations each one reads
(its tables, views and table functions, less its CTEs), and a model is built after the models it
reads; among models free to go, by name. A model that reads a relation that is neither a model nor
a warehouse input (`INPUTS`), or models that read one another in a cycle, fail before anything runs.
"""

from __future__ import annotations

import dataclasses
import heapq
import json
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb

from newsflow.schema import WAREHOUSE_DATASETS

# The relations the models may read besides one another: the lake_* tables, the gazetteer
# (_register_gazetteer) and, in incremental models, the weeks to refresh.
INPUTS = frozenset({*(f"lake_{dataset}" for dataset in WAREHOUSE_DATASETS), "raw_entities", "refresh_weeks"})
_MATERIALIZED = re.compile(
    r"^--\s*materialized:\s*(table|view|incremental by week of (\w+)|table macro (\(.*\)))\s*$", re.MULTILINE
)
_UNIQUE = re.compile(r"^--\s*unique:\s*(.*?)\s*$", re.MULTILINE)
_NAME = re.compile(r"[a-z_][a-z0-9_]*")


@dataclass(frozen=True, slots=True)
class Model:
    """One include/sql file: a view, a table rebuilt whole, a table refreshed week by week, or a
    table macro (a parameterised query)."""

    name: str
    materialized: str  # view, table, incremental or macro
    sql: str
    week_column: str | None = None  # incremental models: the date column whose week is the refresh unit
    parameters: str | None = None  # macros: "(name, name := default, …)", as DuckDB declares them
    unique: tuple[str, ...] = ()  # the columns of the grain, which no two rows share
    reads: frozenset[str] = frozenset()  # the relations (models or INPUTS) and table macros it reads


def sql_models(sql_dir: Path) -> list[Model]:
    """Every model of sql_dir (NAME.sql), in build order: each after the models it reads, else by name.

    Raises ValueError for a file without a materialized header or with a bad unique header, a model
    that reads an unknown relation, and models that read one another in a cycle.
    """
    models: dict[str, Model] = {}
    functions: dict[str, set[str]] = {}  # model -> the table functions it calls: DuckDB's, or models
    with duckdb.connect() as con:  # only to parse
        for path in sorted(sql_dir.glob("*.sql")):
            model, functions[path.stem] = _read_model(path, con)
            models[model.name] = model
    for model in list(models.values()):
        unknown = sorted(model.reads - models.keys() - INPUTS)
        if unknown:
            raise ValueError(
                f"model {model.name} ({model.name}.sql) reads {', '.join(unknown)}: neither a model in "
                f"{sql_dir} nor a warehouse input ({', '.join(sorted(INPUTS))})"
            )
        called = functions[model.name] & models.keys()  # table macros among the models
        models[model.name] = dataclasses.replace(model, reads=model.reads | called)
    return _build_order(models)


def _read_model(path: Path, con: duckdb.DuckDBPyConnection) -> tuple[Model, set[str]]:
    """The model in one file, and the table functions it calls."""
    if _NAME.fullmatch(path.stem) is None:
        raise ValueError(f"{path.name}: a model's file is named NAME.sql, NAME a lowercase SQL identifier")
    sql = path.read_text(encoding="utf-8")
    match = _MATERIALIZED.search(sql)
    if match is None:
        raise ValueError(
            f"{path.name} lacks a '-- materialized: table|view|incremental by week of COLUMN|"
            "table macro (PARAMETERS)' header line"
        )
    kind = "incremental" if match.group(2) else "macro" if match.group(3) else match.group(1)
    unique = _UNIQUE.search(sql)
    key = tuple(column.strip() for column in unique.group(1).split(",")) if unique else ()
    if unique and (kind == "macro" or not all(_NAME.fullmatch(column) for column in key)):
        raise ValueError(
            f"{path.name}: '-- unique: col, col' names a view's or table's key columns (a macro has none)"
        )
    (serialized,) = con.execute("select json_serialize_sql(?)", [sql]).fetchone() or ("{}",)
    parsed = json.loads(serialized)
    if parsed["error"]:
        raise ValueError(f"{path.name}: {parsed['error_message']}")
    if len(parsed["statements"]) != 1:
        raise ValueError(f"{path.name}: a model is one select statement")
    tables: set[str] = set()
    functions: set[str] = set()
    _references(parsed["statements"][0], frozenset(), tables, functions)
    model = Model(path.stem, kind, sql, match.group(2), match.group(3), key, frozenset(tables))
    return model, functions


def _references(node: object, ctes: frozenset[str], tables: set[str], functions: set[str]) -> None:
    """Collect the unqualified relations (less the CTEs in scope) and the table functions that a
    query parsed by DuckDB (json_serialize_sql) reads. A CTE is in scope in the CTEs after it and in
    its query; in its own body only when recursive: `with mentions as (select * from mentions)` reads
    the model mentions."""
    if isinstance(node, list):
        for item in node:
            _references(item, ctes, tables, functions)
        return
    if not isinstance(node, dict):
        return
    kind = node.get("type")
    if kind == "BASE_TABLE" and not node.get("schema_name") and not node.get("catalog_name"):
        if node["table_name"] not in ctes:
            tables.add(node["table_name"])
    elif kind == "TABLE_FUNCTION" and not node["function"].get("schema"):
        functions.add(node["function"]["function_name"])
    elif kind == "RECURSIVE_CTE_NODE":
        ctes |= {node["cte_name"]}
    for cte in node.get("cte_map", {}).get("map", []):
        _references(cte["value"], ctes, tables, functions)
        ctes |= {cte["key"]}
    for key, value in node.items():
        if key != "cte_map":
            _references(value, ctes, tables, functions)


def _build_order(models: dict[str, Model]) -> list[Model]:
    """The models, each after those it reads (a topological sort); ties by name."""
    waiting = {name: set(model.reads & models.keys()) for name, model in models.items()}
    readers: dict[str, list[str]] = {name: [] for name in models}
    for name, reads in waiting.items():
        for read in reads:
            readers[read].append(name)
    ready = [name for name, reads in waiting.items() if not reads]
    heapq.heapify(ready)
    order = []
    while ready:
        name = heapq.heappop(ready)
        order.append(models[name])
        for reader in readers[name]:
            waiting[reader].discard(name)
            if not waiting[reader]:
                heapq.heappush(ready, reader)
    if len(order) < len(models):  # every model left reads another one left: follow them round
        path = [min(name for name, reads in waiting.items() if reads)]
        while path[-1] not in path[:-1]:
            path.append(min(waiting[path[-1]]))
        cycle = path[path.index(path[-1]) :]
        raise ValueError(f"models read one another in a cycle: {' -> '.join(cycle)}")
    return order
