"""The mentions-over-time chart (PNG) and a self-contained HTML report, rendered from the warehouse."""

from __future__ import annotations

import base64
import html
import io
from datetime import date, timedelta
from pathlib import Path
from typing import TypedDict, cast

from newsflow.settings import Settings
from newsflow.store.storage import atomic_path
from newsflow.warehouse.build import query

TOP_ENTITIES = 8  # more lines than this make the chart unreadable


class _Point(TypedDict):
    """One row of the chart's query: an entity's mentions and stories on one day."""

    mention_date: date
    label: str
    n_mentions: int
    n_stories: int


def render_report(settings: Settings) -> tuple[Path, Path]:
    """Write data/reports/mentions.png and mentions.html; return their paths."""
    columns, rows = query(
        settings,
        "with top as (select entity_id from mentions_daily group by entity_id "
        "order by sum(n_mentions) desc, entity_id limit $top) "
        "select mention_date, label, n_mentions, n_stories from mentions_daily join top using (entity_id) "
        "order by mention_date, label",
        {"top": TOP_ENTITIES},
    )
    points = [dict(zip(columns, row, strict=True)) for row in rows]
    png = _chart_png(cast("list[_Point]", points))  # the columns of the query above
    report_dir = settings.data_dir / "reports"
    png_path = _write_atomic(report_dir / "mentions.png", png)
    trending_columns, trending = query(
        settings,
        "select label, status, n_mentions_7d, mean_daily_7d, mean_daily_28d, ratio, z_score from trending "
        "order by status desc, z_score desc nulls last, n_mentions_7d desc",
    )
    page = _html_page(png, rows, trending_columns, trending)
    html_path = _write_atomic(report_dir / "mentions.html", page.encode("utf-8"))
    return png_path, html_path


def _chart_png(points: list[_Point]) -> bytes:
    """Lines of daily mentions per entity; bars of mentions and stories when there is one day only."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(9, 4.5), dpi=110)
    days = sorted({p["mention_date"] for p in points})
    if not points:
        axis.text(0.5, 0.5, "no mentions yet", ha="center", va="center", transform=axis.transAxes)
    elif len(days) == 1:
        ranked = sorted(points, key=lambda p: (p["n_mentions"], p["label"]))
        positions = range(len(ranked))
        axis.barh(
            [y + 0.2 for y in positions], [p["n_mentions"] for p in ranked], height=0.4, label="mentions"
        )
        axis.barh([y - 0.2 for y in positions], [p["n_stories"] for p in ranked], height=0.4, label="stories")
        axis.set_yticks(list(positions), [str(p["label"]) for p in ranked])
        axis.set_xlabel("count")
        axis.set_title(f"Mentions of the most mentioned entities on {days[0]}")
        axis.legend(loc="lower right")
    else:
        first, last = days[0], days[-1]
        calendar = [first + timedelta(days=i) for i in range((last - first).days + 1)]
        for label in sorted({str(p["label"]) for p in points}):
            counts = {p["mention_date"]: p["n_mentions"] for p in points if p["label"] == label}
            axis.plot(
                calendar,  # type: ignore[arg-type]  # matplotlib plots dates (unit converters); its stubs say numbers
                [counts.get(day, 0) for day in calendar],
                marker=".",
                label=label,
            )  # no row = 0
        axis.xaxis.set_major_formatter(mdates.ConciseDateFormatter(axis.xaxis.get_major_locator()))  # type: ignore[no-untyped-call]  # matplotlib.dates is unannotated
        axis.set_ylabel("mentions per day")
        axis.set_title("Mentions per day, most mentioned entities")
        axis.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize="small")
    axis.grid(alpha=0.3)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    return buffer.getvalue()


def _html_page(
    png: bytes, daily: list[tuple[object, ...]], columns: list[str], trending: list[tuple[object, ...]]
) -> str:
    image = base64.b64encode(png).decode("ascii")
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>newsflow mentions</title>"
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:2px 8px;text-align:left}</style></head><body>"
        "<h1>newsflow: mentions over time</h1>"
        f"<img alt='mentions per day' src='data:image/png;base64,{image}'>"
        "<h2>Trending (last 7 days vs the 28 before)</h2>"
        f"{html_table(columns, trending)}"
        "<h2>Daily mentions of the most mentioned entities</h2>"
        f"{html_table(['mention_date', 'label', 'n_mentions', 'n_stories'], daily)}"
        "</body></html>"
    )


def html_table(headers: list[str], rows: list[tuple[object, ...]]) -> str:
    """An HTML table, every value escaped (None shows empty)."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape('' if v is None else str(v))}</td>" for v in row) + "</tr>"
        for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def _write_atomic(path: Path, data: bytes) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return path
