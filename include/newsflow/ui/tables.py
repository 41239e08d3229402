"""The page's tables: one value (`Table`) rendered as HTML with human column names and number
formats, or exported whole as CSV or JSON under the warehouse's own column names."""

from __future__ import annotations

import csv
import html
import io
import json
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlencode

# Human names for the warehouse's columns; a column not listed shows as its name, underscores spaced.
LABELS = {
    "label": "entity",
    "entity_kind": "kind",
    "entity_type": "type",
    "status": "status",
    "n_mentions": "mentions",
    "n_mentions_7d": "mentions, last 7 days",
    "n_articles": "articles",
    "n_articles_all": "all articles",
    "n_stories": "stories",
    "n_publishers": "publishers",
    "history_days": "days with data in the 28 before",
    "mean_daily_7d": "mentions a day, last 7",
    "mean_daily_28d": "mentions a day, 28 before",
    "ratio": "ratio",
    "z_score": "z-score",
    "last_date": "last seen",
    "first_date": "first seen",
    "period_start": "from",
    "ingest_date": "ingest date",
    "duration_s": "duration (s)",
    "article_date": "date",
    "n_duplicates": "duplicates",
    "n_quarantined": "quarantined",
    "n_fetch_failures": "fetch failures",
}


@dataclass(frozen=True, slots=True)
class Table:
    """Rows under named columns; `links` gives, per row, the URL of the articles behind it."""

    name: str  # the export's file name
    columns: list[str]
    rows: list[tuple[object, ...]]
    links: list[str] | None = None
    link_column: int = 0


def format_value(value: object) -> str:
    """Thousands separated, floats to two decimals, nothing for a missing value."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, list | tuple):
        return ", ".join(format_value(v) for v in value)
    return str(value)


def render(
    table: Table, empty: str, export_query: dict[str, str] | None = None, *, exported: bool = True
) -> str:
    """The table, its linked cell pointing to the articles behind each row, and export links (when
    `exported`: one of the app's EXPORTS); the `empty` sentence (which says why) instead when there
    are no rows."""
    if not table.rows:
        return f"<p class='empty'>{html.escape(empty)}</p>"
    numeric = [
        all(isinstance(r[i], int | float) or r[i] is None for r in table.rows)
        for i in range(len(table.columns))
    ]
    head = "".join(
        f"<th{' class=num' if numeric[i] else ''}>{html.escape(LABELS.get(c, c.replace('_', ' ')))}</th>"
        for i, c in enumerate(table.columns)
    )
    body = []
    for index, row in enumerate(table.rows):
        cells = []
        for i, value in enumerate(row):
            text = html.escape(format_value(value))
            if table.links and i == table.link_column:
                text = f"<a href='{html.escape(table.links[index])}'>{text}</a>"
            cells.append(f"<td{' class=num' if numeric[i] else ''}>{text}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    query = urlencode({k: v for k, v in (export_query or {}).items() if v})
    suffix = f"?{query}" if query else ""
    exports = " · ".join(
        f"<a href='export/{table.name}.{fmt}{html.escape(suffix)}' download>{fmt.upper()}</a>"
        for fmt in ("csv", "json")
    )
    table_html = f"<table><tr>{head}</tr>{''.join(body)}</table>"
    return table_html + (f"<p class='export'>Export: {exports}</p>" if exported else "")


def to_csv(table: Table) -> str:
    """Every row, under the warehouse's column names; lists joined by '; '."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(table.columns)
    for row in table.rows:
        writer.writerow(
            ["; ".join(map(str, v)) if isinstance(v, list) else ("" if v is None else v) for v in row]
        )
    return out.getvalue()


def to_json(table: Table) -> str:
    """Every row as an object keyed by the warehouse's column names; dates in ISO form."""
    records = [dict(zip(table.columns, row, strict=True)) for row in table.rows]
    return json.dumps(records, ensure_ascii=False, default=_iso)


def _iso(value: object) -> str:
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
