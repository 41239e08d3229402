"""The "Mentions" page of the Airflow UI: what the pipeline found, read-only from the warehouse.

A FastAPI app (served by Airflow's api-server through the plugin in `plugins/newsflow_ui.py`, or
alone for tests): mentions over time for the top entities and for one picked entity (by
publication or ingest date), the trending entities, that entity's co-occurrences, the latest
stories with their publishers, and per run what was published, quarantined (by stage and failed
expectation), duplicated and failed to fetch, with a link to the day's Great Expectations Data
Docs. Charts are inline SVG: nothing is loaded from the network.
"""

from __future__ import annotations

import html
from collections import defaultdict
from datetime import date
from urllib.parse import quote, urlencode

import duckdb
from fastapi import FastAPI, Query
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from newsflow.settings import Settings
from newsflow.warehouse.build import read_only
from newsflow.warehouse.report import TOP_ENTITIES, html_table

RUNS_SHOWN = 14
STORIES_SHOWN = 10
# Colour-blind-safe categorical palette (Okabe–Ito), one colour per line.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
VIEWS = {"published": "mentions_daily", "ingest": "mentions_daily_by_ingest"}


def create_app(settings: Settings | None = None) -> FastAPI:
    """The app; `settings` default to the NEWSFLOW_* environment, read at each request."""
    app = FastAPI(title="newsflow", description="What newsflow found: mentions, stories, runs, quality.")
    docs = (settings or Settings.from_env()).quality_docs_dir
    app.mount("/quality", StaticFiles(directory=docs, html=True, check_dir=False), name="quality")

    @app.get("/", include_in_schema=False)
    def index() -> RedirectResponse:
        return RedirectResponse("mentions")

    @app.get("/mentions", response_class=HTMLResponse)
    def mentions(
        entity: str | None = Query(None, description="Entity id, e.g. nato"),
        basis: str = Query("published", pattern="^(published|ingest)$", description="Date mentions by"),
    ) -> str:
        current = settings or Settings.from_env()
        if not current.warehouse_path.exists():
            return _page("<p>No warehouse yet: run the <code>news_ingest</code> DAG once.</p>")
        with read_only(current) as con:
            return _page(mentions_page(con, current, entity, basis))

    return app


def mentions_page(con: duckdb.DuckDBPyConnection, settings: Settings, entity: str | None, basis: str) -> str:
    """The page's body: every section, from one read-only connection."""
    view = VIEWS[basis]
    labels = dict(con.execute("select entity_id, label from entities order by label").fetchall())
    top = [
        row[0]
        for row in con.execute(
            f"select entity_id from {view} group by entity_id order by sum(n_mentions) desc, entity_id limit ?",
            [TOP_ENTITIES],
        ).fetchall()
    ]
    entity = entity if entity in labels else (top[0] if top else None)
    latest = con.execute("select max(ingest_date) from lake_articles").fetchone()
    assert latest is not None  # an aggregate over a whole table is one row, even on no rows
    as_of = latest[0]
    sections = [
        f"<p>Warehouse as of the run of <b>{as_of or '—'}</b>; dates are <b>{basis} dates</b> "
        f"({_basis_note(basis)}).</p>",
        _controls(labels, entity, basis),
        "<h2>Mentions per day, most mentioned entities</h2>",
        line_chart_svg(_daily(con, view, top, labels)),
    ]
    if entity:
        sections += [
            f"<h2>{html.escape(labels[entity])}: mentions per day</h2>",
            line_chart_svg(_daily(con, view, [entity], labels)),
            f"<h2>{html.escape(labels[entity])}: mentioned together with</h2>",
            _cooccurrence(con, entity, labels),
        ]
    sections += [
        "<h2>Trending (7 days up to the last run, against the 28 before)</h2>",
        _query_table(
            con,
            "select label, status, n_mentions_7d, history_days, ratio, z_score from trending "
            "order by status desc, z_score desc nulls last, n_mentions_7d desc, label",
        ),
        "<h2>Latest stories</h2>",
        _query_table(
            con,
            "select last_date, title, n_articles, n_publishers, array_to_string(publishers, ', ') as publishers "
            "from stories order by last_date desc, n_articles desc, title limit ?",
            [STORIES_SHOWN],
        ),
        "<h2>Runs</h2>",
        _runs(con, settings),
        "<p><a href='quality/index.html'>Great Expectations Data Docs</a> (every validated day)</p>",
    ]
    return "\n".join(sections)


def line_chart_svg(series: dict[str, list[tuple[date, int]]], width: int = 900, height: int = 260) -> str:
    """Lines (with point markers, so a single day shows) of a value per day, one per label."""
    points = [p for values in series.values() for p in values]
    if not points:
        return "<p>No mentions yet.</p>"
    days = sorted({day for day, _ in points})
    first, span = days[0].toordinal(), max(days[-1].toordinal() - days[0].toordinal(), 1)
    top = max(value for _, value in points) or 1
    left, right, top_pad, bottom = 50, 180, 15, 30
    plot_w, plot_h = width - left - right, height - top_pad - bottom

    def x(day: date) -> float:
        offset = (day.toordinal() - first) / span if len(days) > 1 else 0.5
        return left + offset * plot_w

    def y(value: int) -> float:
        return top_pad + plot_h * (1 - value / top)

    parts = [
        f"<svg xmlns='http://www.w3.org/2000/svg' role='img' width='{width}' height='{height}' "
        f"viewBox='0 0 {width} {height}' font-family='sans-serif' font-size='11'>",
        f"<line x1='{left}' y1='{y(0)}' x2='{left + plot_w}' y2='{y(0)}' stroke='#888'/>",
        f"<line x1='{left}' y1='{top_pad}' x2='{left}' y2='{y(0)}' stroke='#888'/>",
        f"<text x='{left - 6}' y='{y(top) + 4}' text-anchor='end'>{top}</text>",
        f"<text x='{left - 6}' y='{y(0) + 4}' text-anchor='end'>0</text>",
        f"<text x='{x(days[0])}' y='{height - 8}' text-anchor='middle'>{days[0]}</text>",
    ]
    if len(days) > 1:
        parts.append(f"<text x='{x(days[-1])}' y='{height - 8}' text-anchor='middle'>{days[-1]}</text>")
    for index, (label, values) in enumerate(series.items()):
        colour = PALETTE[index % len(PALETTE)]
        coords = " ".join(f"{x(day):.1f},{y(value):.1f}" for day, value in values)
        parts.append(f"<polyline fill='none' stroke='{colour}' stroke-width='2' points='{coords}'/>")
        parts += [
            f"<circle cx='{x(day):.1f}' cy='{y(value):.1f}' r='3' fill='{colour}'>"
            f"<title>{html.escape(label)}, {day}: {value}</title></circle>"
            for day, value in values
        ]
        legend_y = top_pad + 14 * index + 8
        parts.append(
            f"<rect x='{left + plot_w + 15}' y='{legend_y - 8}' width='10' height='10' fill='{colour}'/>"
            f"<text x='{left + plot_w + 30}' y='{legend_y + 1}'>{html.escape(label)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _daily(
    con: duckdb.DuckDBPyConnection, view: str, entity_ids: list[str], labels: dict[str, str]
) -> dict[str, list[tuple[date, int]]]:
    if not entity_ids:
        return {}
    date_column = "mention_date" if view == "mentions_daily" else "ingest_date"
    rows = con.execute(
        f"select entity_id, {date_column}, n_mentions from {view} where list_contains(?, entity_id) "
        f"order by {date_column}",
        [entity_ids],
    ).fetchall()
    series: dict[str, list[tuple[date, int]]] = {labels[e]: [] for e in entity_ids}
    for entity_id, day, n_mentions in rows:
        series[labels[entity_id]].append((day, int(n_mentions)))
    return series


def _cooccurrence(con: duckdb.DuckDBPyConnection, entity: str, labels: dict[str, str]) -> str:
    rows = con.execute(
        "select case when entity_a = $e then entity_b else entity_a end as other, "
        "sum(n_articles) as n_articles, sum(n_stories) as n_stories from cooccurrence_weekly "
        "where $e in (entity_a, entity_b) group by other order by n_stories desc, n_articles desc, other limit 10",
        {"e": entity},
    ).fetchall()
    return html_table(["with", "articles", "stories"], [(labels.get(o, o), a, s) for o, a, s in rows])


def _runs(con: duckdb.DuckDBPyConnection, settings: Settings) -> str:
    """Per ingest day: articles published, duplicates, quarantined (by stage and reason), fetch
    failures (by reason), and the day's Data Docs page."""
    days = [
        row[0]
        for row in con.execute(
            "select ingest_date from lake_articles union select ingest_date from lake_quarantine "
            "union select ingest_date from lake_fetch_log order by 1 desc limit ?",
            [RUNS_SHOWN],
        ).fetchall()
    ]
    published = dict(
        (day, (n, d))
        for day, n, d in con.execute(
            "select ingest_date, count(*), count(duplicate_of) from lake_articles group by 1"
        ).fetchall()
    )
    quarantined = _reasons(
        con,
        "with reasons as (select ingest_date, stage, unnest(failed_expectations) as reason from quarantine) "
        "select ingest_date, stage || ': ' || reason, count(*) from reasons group by all order by 3 desc, 2",
    )
    failures = _reasons(
        con,
        "select ingest_date, error_class, count(*) from fetch_log where is_failure group by all order by 3 desc, 2",
    )
    n_quarantined = dict(con.execute("select ingest_date, count(*) from quarantine group by 1").fetchall())
    n_failures = dict(
        con.execute("select ingest_date, count(*) from fetch_log where is_failure group by 1").fetchall()
    )
    rows = [
        (
            day,
            *published.get(day, (0, 0)),
            n_quarantined.get(day, 0),
            quarantined.get(day, ""),
            n_failures.get(day, 0),
            failures.get(day, ""),
        )
        for day in days
    ]
    table = html_table(
        ["ingest date", "published", "duplicates", "quarantined", "why quarantined", "fetch failures", "why"],
        rows,
    )
    links = [_quality_link(settings, day) for day in days]
    return table + "".join(link for link in links if link)


def _reasons(con: duckdb.DuckDBPyConnection, sql: str) -> dict[date, str]:
    """Per day, "reason ×count; …" from rows of (day, reason, count)."""
    found: dict[date, list[str]] = defaultdict(list)
    for day, reason, n in con.execute(sql).fetchall():
        found[day].append(f"{reason} ×{n}")
    return {day: "; ".join(parts) for day, parts in found.items()}


def _quality_link(settings: Settings, day: date) -> str:
    """A link to the day's Data Docs page, when validation rendered one."""
    pages = sorted((settings.quality_docs_dir / "validations").glob(f"*/ingest_date={day}/*/*.html"))
    if not pages:
        return ""
    relative = pages[-1].relative_to(settings.quality_docs_dir).as_posix()
    return f"<p><a href='quality/{quote(relative)}'>Validation of {day}</a></p>"


def _controls(labels: dict[str, str], entity: str | None, basis: str) -> str:
    options = "".join(
        f"<option value='{html.escape(e)}'{' selected' if e == entity else ''}>{html.escape(label)}</option>"
        for e, label in labels.items()
    )
    other = "ingest" if basis == "published" else "published"
    switch = urlencode({"entity": entity or "", "basis": other})
    return (
        f"<form method='get'><label>Entity <select name='entity'>{options}</select></label> "
        f"<input type='hidden' name='basis' value='{basis}'><button type='submit'>Show</button> "
        f"<a href='?{switch}'>by {other} date instead</a></form>"
    )


def _basis_note(basis: str) -> str:
    if basis == "published":
        return "the article's publication date; undated articles by their first ingest day"
    return "the day newsflow first ingested the article"


def _query_table(con: duckdb.DuckDBPyConnection, sql: str, parameters: list[object] | None = None) -> str:
    cursor = con.execute(sql, parameters)
    return html_table([d[0] for d in cursor.description or []], cursor.fetchall())


def _page(body: str) -> str:
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>newsflow: mentions</title>"
        "<style>body{font-family:sans-serif;margin:1.5em;color:#222}table{border-collapse:collapse;margin:.5em 0}"
        "td,th{border:1px solid #ccc;padding:2px 8px;text-align:left;vertical-align:top}"
        "h2{font-size:1.1em;margin-top:1.5em}</style></head><body><h1>newsflow: what the pipeline found</h1>"
        f"{body}</body></html>"
    )
