"""The mentions-over-time chart (PNG) and a self-contained HTML report, rendered from the warehouse."""

from __future__ import annotations

import base64
import html
import io
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict, cast

from newsflow.settings import Settings
from newsflow.store.storage import atomic_path
from newsflow.warehouse.build import query
from newsflow.warehouse.timeline import gaps, segments

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

TOP_ENTITIES = 8  # more lines than this make the chart unreadable


class Point(TypedDict):
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
    _, days = query(settings, "select day from article_days('published') order by day")
    png = _chart_png(cast("list[Point]", points), [row[0] for row in days])  # type: ignore[misc]  # dates
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


def _chart_png(points: list[Point], data_days: list[date]) -> bytes:
    import matplotlib.pyplot as plt

    figure = mentions_figure(points, data_days)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    return buffer.getvalue()


def mentions_figure(points: list[Point], data_days: list[date]) -> Figure:
    """Lines of daily mentions per entity on a calendar axis, broken (and shaded) over the days
    without any article (`timeline`); bars of mentions and stories when there is one day only."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(9, 4.5), dpi=110)
    days = sorted({p["mention_date"] for p in points})
    if not points:
        axis.text(0.5, 0.5, "no mentions yet", ha="center", va="center", transform=axis.transAxes)
    elif len(days) == 1:
        _bars(axis, points, days[0])
    else:
        _lines(axis, points, data_days)
        axis.xaxis.set_major_formatter(mdates.ConciseDateFormatter(axis.xaxis.get_major_locator()))  # type: ignore[no-untyped-call]  # matplotlib.dates is unannotated
    axis.grid(alpha=0.3)
    figure.tight_layout()
    return figure


def _bars(axis: Axes, points: list[Point], day: date) -> None:
    """One day: mentions and stories per entity, as bars."""
    ranked = sorted(points, key=lambda p: (p["n_mentions"], p["label"]))
    positions = range(len(ranked))
    axis.barh([y + 0.2 for y in positions], [p["n_mentions"] for p in ranked], height=0.4, label="mentions")
    axis.barh([y - 0.2 for y in positions], [p["n_stories"] for p in ranked], height=0.4, label="stories")
    axis.set_yticks(list(positions), [str(p["label"]) for p in ranked])
    axis.set_xlabel("count")
    axis.set_title(f"Mentions of the most mentioned entities on {day}")
    axis.legend(loc="lower right")


def _lines(axis: Axes, points: list[Point], data_days: list[date]) -> None:
    """One line per entity, most mentioned first, broken over the days without any article."""
    for start, end in gaps(data_days):
        # matplotlib plots dates (its unit converters); its stubs say numbers
        axis.axvspan(start - timedelta(days=1), end + timedelta(days=1), color="0.92", lw=0)  # type: ignore[arg-type]
    totals: dict[str, int] = {}
    for p in points:
        totals[p["label"]] = totals.get(p["label"], 0) + p["n_mentions"]
    for index, label in enumerate(sorted(totals, key=lambda name: (-totals[name], name))):
        counts = {p["mention_date"]: p["n_mentions"] for p in points if p["label"] == label}
        for run, piece in enumerate(segments(counts, data_days)):
            axis.plot(
                [day for day, _ in piece],  # type: ignore[arg-type]  # dates, as above
                [value for _, value in piece],
                marker=".",
                color=f"C{index % 10}",
                label=f"{label} ({totals[label]:,})" if run == 0 else None,
            )
    axis.set_xlabel("publication date (shaded: no article at all; no mention on a day with articles is 0)")
    axis.set_ylabel("mentions per day")
    axis.set_title("Mentions per day, most mentioned entities")
    axis.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize="small")


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
