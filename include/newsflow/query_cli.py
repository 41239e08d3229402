"""The `newsflow` commands that read the warehouse: mentions over time, trending entities, any
phrase over time (attention), any SQL.
Read-only: the warehouse opens without access to anything outside it."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import click
import typer

from newsflow.console import print_line, print_rows
from newsflow.settings import Settings

WarehouseOption = Annotated[
    Path | None, typer.Option(help="DuckDB file (default: $NEWSFLOW_DATA_DIR/warehouse.duckdb)")
]

DateBasisOption = Annotated[
    str,
    typer.Option(
        help="published: date mentions by their article's publication date (its first ingest day when "
        "it has none); ingest: by the day newsflow first ingested the article."
    ),
]


def _check_date_basis(date_basis: str) -> None:
    if date_basis not in ("published", "ingest"):
        raise click.BadParameter("--date-basis must be published or ingest")


def mentions(
    entity: Annotated[str | None, typer.Option(help="Entity id, e.g. nato (see the entities table).")] = None,
    by: Annotated[str, typer.Option(help="day or week")] = "day",
    date_basis: DateBasisOption = "published",
    warehouse: WarehouseOption = None,
) -> None:
    """Show mentions over time, per entity.

    Example: newsflow mentions --entity nato --by week --date-basis ingest
    """
    if by not in ("day", "week"):
        raise click.BadParameter("--by must be day or week")
    _check_date_basis(date_basis)
    view = {"day": "mentions_daily", "week": "mentions_weekly"}[by]
    date_column = {"day": "mention_date", "week": "week_start"}[by]
    if date_basis == "ingest":
        view, date_column = f"{view}_by_ingest", "ingest_date" if by == "day" else date_column
    where = "where entity_id = $entity" if entity else ""
    print_query(
        Settings.from_env(warehouse_path=warehouse),
        f"select date_basis, {date_column}, entity_id, label, n_mentions, n_articles, n_stories, n_publishers, "
        f"n_articles_undated from {view} {where} order by {date_column}, n_mentions desc, entity_id",
        {"entity": entity} if entity else None,
    )


def sql(
    query: Annotated[str, typer.Argument(help="A SQL query against the warehouse (read-only).")],
    warehouse: WarehouseOption = None,
) -> None:
    """Run a read-only SQL query on the warehouse and print the result.

    Example: newsflow sql "select * from mentions_weekly order by n_mentions desc limit 10"
    """
    print_query(Settings.from_env(warehouse_path=warehouse), query)


def trending(
    as_of: Annotated[
        datetime | None,
        typer.Option(
            formats=["%Y-%m-%d"], help="Last day of the 7-day window (default: the newest ingest date)."
        ),
    ] = None,
    date_basis: DateBasisOption = "published",
    min_history_days: Annotated[
        int | None,
        typer.Option(
            help="Days with data in the 28 days before, below which entities are 'new' "
            "(default: the trending_as_of macro's, 14)."
        ),
    ] = None,
    warehouse: WarehouseOption = None,
) -> None:
    """Entities trending (mentions in the last 7 days well above what the 28 days before predict) or
    new, as of a day. See the trending_as_of table macro in the README.

    Example: newsflow trending --as-of 2024-07-26
    """
    _check_date_basis(date_basis)
    print_query(
        Settings.from_env(warehouse_path=warehouse),
        "select label, as_of_date, date_basis, status, n_mentions_7d, history_days, mean_daily_7d, "
        "mean_daily_28d, ratio, z_score from trending_as_of("
        "coalesce($as_of, (select max(ingest_date) from articles)), basis := $basis, "
        "min_history_days := $min_history_days) "
        "order by status desc, z_score desc nulls last, n_mentions_7d desc, label",
        {
            "as_of": as_of.date() if as_of else None,
            "basis": date_basis,
            "min_history_days": min_history_days,
        },
    )


def attention(
    query: Annotated[str, typer.Argument(help='Words, "quoted phrases", AND, OR, NOT (no parentheses).')],
    by: Annotated[str, typer.Option(help="day or week")] = "day",
    date_basis: DateBasisOption = "published",
    warehouse: WarehouseOption = None,
) -> None:
    """Articles, publishers and stories per day (or week) whose title or text matches a query, out of
    all the articles of that period; periods without any article are left out (gaps, not zeros).

    Example: newsflow attention '"jens stoltenberg" OR otan NOT russie' --by week
    """
    from newsflow.warehouse import attention as phrases

    if by not in ("day", "week"):
        raise click.BadParameter("--by must be day or week")
    _check_date_basis(date_basis)
    try:
        arguments = phrases.macro_arguments(phrases.parse_query(query))
    except phrases.QueryError as exc:
        raise click.BadParameter(str(exc)) from None
    print_query(
        Settings.from_env(warehouse_path=warehouse),
        phrases.ATTENTION_SQL,
        {**arguments, "grain": by, "basis": date_basis},
    )


def print_query(settings: Settings, query: str, parameters: dict[str, object] | None = None) -> None:
    import duckdb

    from newsflow.warehouse import build

    try:
        columns, rows = build.query(settings, query, parameters)
    except duckdb.Error as exc:
        raise click.ClickException(str(exc)) from None
    print_rows(columns, rows)
    print_line(f"{len(rows)} rows")
