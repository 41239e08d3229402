"""The HTML of the Mentions page, the article list and the phrase page, from one read-only
connection each; every number links to the articles behind it."""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from typing import cast
from urllib.parse import quote

import duckdb

from newsflow.settings import Settings
from newsflow.ui import charts, drill, quality, queries, runs, tables
from newsflow.ui.queries import View

BASIS_NOTES = {
    "published": "publication date (an undated article by the day it was first ingested)",
    "ingest": "first ingest date (the day newsflow first saw the article)",
}
WHOLE_WAREHOUSE = (
    "Trending, the Airflow runs and what each day holds cover every publisher, language and source."
)
RANGES = (("last 7 days", 7), ("last 30 days", 30), ("last 90 days", 90), ("last year", 365))
STYLE = (
    "body{font-family:sans-serif;margin:1.2em;color:#222;max-width:1200px}"
    "table{border-collapse:collapse;margin:.4em 0}td,th{border:1px solid #ccc;padding:2px 8px;text-align:left;"
    "vertical-align:top}.num{text-align:right;font-variant-numeric:tabular-nums}h2{font-size:1.1em;margin-top:1.4em}"
    ".empty{color:#555;font-style:italic}.export,.nav,.meta{font-size:.85em;color:#555}form{margin:.3em 0}"
    "input,select,button{font-size:.95em}mark{background:#ffe08a}blockquote{margin:.2em 0 .2em 1em;color:#333}"
    "ol.articles li{margin:.5em 0}svg.chart{max-width:100%;height:auto}svg.chart a circle:hover{r:6}"
    "nav.top a{margin-right:1em}"
)


def shell(title: str, body: str) -> str:
    """A whole page: no script, no style or font from the network."""
    return (
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>newsflow: {html.escape(title)}</title>"
        f"<meta name='viewport' content='width=device-width'><style>{STYLE}</style></head><body>"
        "<nav class='top'><a href='mentions'>Mentions</a><a href='attention'>Phrase over time</a></nav>"
        f"<h1>newsflow: {html.escape(title)}</h1>{body}</body></html>"
    )


def mentions_page(con: duckdb.DuckDBPyConnection, settings: Settings, view: View, memo: queries.Memo) -> str:
    """Mentions over time, an entity's detail, trending, stories and runs, within the view's range."""
    labels = memo.get(("labels",), lambda: queries.entity_labels(con))
    days = memo.get(("days", view.basis), lambda: queries.data_days(con, view.basis))
    first, last = queries.full_range(days, view)
    top = queries.top_entities(con, view, first, last)
    entity = view.entity if view.entity in labels else (top[0] if top else None)
    view = replace(view, entity=entity)
    (newest,) = con.execute("select max(ingest_date) from lake_articles").fetchone() or (None,)
    parts = [
        f"<p>Newest data: ingest date <b>{newest or '—'}</b>; {len(days):,} day{'s' if len(days) != 1 else ''} with data on the "
        f"<b>{BASIS_NOTES[view.basis]}</b> clock. Showing <b>{first}</b> to <b>{last}</b>{_among(view)}.</p>",
        _controls(
            view, days, labels.get(entity or "", ""), memo.get(("choices",), lambda: queries.choices(con))
        ),
    ]
    if view.find:
        parts += [
            f"<h2>Entities matching “{html.escape(view.find)}”</h2>",
            tables.render(
                queries.search_entities(con, view.find, view),
                "No tracked or discovered entity matches.",
                view.query(),
            ),
        ]
    parts += [
        "<h2>Mentions per day, most mentioned entities</h2>",
        _chart(con, view, top, labels, days, first, last),
    ]
    if entity:
        parts += _entity_sections(con, view, entity, labels, days, first, last)
    trending, why, short_history = memo.get(("trending",), lambda: queries.trending(con, View()))
    runs = memo.get(("runs",), lambda: queries.runs(con))
    if view.article_filters():
        parts.append(f"<p class='meta'>{WHOLE_WAREHOUSE}</p>")
    parts += [
        "<h2>Trending: the last run's 7 days against the 28 before</h2>",
        f"<p class='empty'>{html.escape(why)}</p>" if short_history and trending.rows else "",
        tables.render(trending, why, view.query()),
        "<h2>Latest stories (near-duplicate articles counted once)</h2>",
        tables.render(
            queries.stories(con, view, first, last), f"No story dated {first} to {last}.", view.query()
        ),
        "<h2>Airflow runs of news_ingest and news_backfill</h2>",
        _airflow_runs(),
        "<h2>What each day holds</h2>",
        tables.render(runs, "No run has written to the lake yet.", view.query()),
        _quality_links(settings, [row[0] for row in runs.rows]),
    ]
    return shell("what the pipeline found", "\n".join(parts))


def _among(view: View) -> str:
    """HTML: which articles the counts are of, when a publisher, language or source filter is set."""
    filters = view.article_filters()
    named = ", ".join(f"{name} <b>{html.escape(value)}</b>" for name, value in filters.items())
    return f", in the articles of {named} only" if filters else ""


def _airflow_runs() -> str:
    """The runs table, or why Airflow's run history cannot be read (the page served outside Airflow)."""
    from sqlalchemy.exc import SQLAlchemyError

    try:
        table = runs.airflow_runs()
    except (ImportError, SQLAlchemyError) as exc:
        return f"<p class='empty'>Airflow's run history cannot be read here: {html.escape(type(exc).__name__)}.</p>"
    return tables.render(table, "No run of news_ingest or news_backfill yet.", exported=False)


def _entity_sections(
    con: duckdb.DuckDBPyConnection,
    view: View,
    entity: str,
    labels: dict[str, str],
    days: list[date],
    first: date,
    last: date,
) -> list[str]:
    label = html.escape(labels[entity])
    everything = html.escape(view.url("articles", entity=entity, start=first, end=last))
    return [
        f"<h2>{label}: mentions per day</h2>",
        _chart(con, view, [entity], labels, days, first, last),
        f"<p><a href='{everything}'>Every article naming {label}, {first} to {last}</a></p>",
        f"<h2>{label}: named in the same articles as</h2>",
        tables.render(
            queries.cooccurrence(con, view, first, last, labels),
            f"No other entity shares an article with {labels[entity]} in this range.",
            view.query(),
        ),
    ]


def _chart(
    con: duckdb.DuckDBPyConnection,
    view: View,
    entity_ids: list[str],
    labels: dict[str, str],
    days: list[date],
    first: date,
    last: date,
) -> str:
    counts = queries.daily_mentions(con, view, entity_ids, first, last)
    series = [charts.Series(labels[e], counts[e], _day_link(view, e, 0)) for e in entity_ids]
    chart = charts.Chart(series, days, BASIS_NOTES[view.basis], "mentions per day", first, last)
    note = "<p class='meta'>Shaded: days with no article at all (a gap, not zero). Click a point for its articles.</p>"
    return charts.render(chart) + note


def _day_link(view: View, entity: str | None, extra_days: int) -> Callable[[date], str]:
    """Where a click on a point leads: the articles of that day (or week) behind it."""

    def link(day: date) -> str:
        return view.url(
            "articles", entity=entity or view.entity, start=day, end=day + timedelta(days=extra_days)
        )

    return link


def _controls(view: View, days: list[date], entity_label: str, choices: dict[str, list[str]]) -> str:
    """The filters: entity search, date range (with quick ranges), publisher, language, source, clock."""
    quick = []
    if days:
        for name, n in RANGES:
            quick.append(
                f"<a href='{html.escape(view.url('mentions', start=days[-1] - timedelta(days=n - 1), end=days[-1]))}'>{name}</a>"
            )
        quick.append(f"<a href='{html.escape(view.url('mentions', start=None, end=None))}'>all</a>")
    other = "ingest" if view.basis == "published" else "published"
    return (
        f"<form method='get' action='mentions'>{_hidden(view, ('entity', 'basis'))}<label>Find an entity <input name='find' "
        f"value='{html.escape(view.find or '')}' placeholder='{html.escape(entity_label or 'e.g. NATO')}'></label> "
        f"{_date_fields(view)} {_selects(choices, view)} <button type='submit'>Show</button></form>"
        f"<p class='nav'>{' · '.join(quick)} · <a href='{html.escape(view.url('mentions', basis=other))}'>"
        f"count by {other} date instead</a></p>"
    )


def _hidden(view: View, names: tuple[str, ...]) -> str:
    """The view's filters among `names`, kept by a form that does not show them."""
    return "".join(
        f"<input type='hidden' name='{k}' value='{html.escape(v)}'>"
        for k, v in view.query().items()
        if k in names
    )


def _date_fields(view: View) -> str:
    return (
        f"<label>from <input type='date' name='start' value='{view.start or ''}'></label> "
        f"<label>to <input type='date' name='end' value='{view.end or ''}'></label>"
    )


def _selects(choices: dict[str, list[str]], view: View) -> str:
    """A drop-down per article filter (publisher, language, source), the view's value selected."""
    selects = []
    for name, values in choices.items():
        current = getattr(view, name)
        options = "".join(
            f"<option{' selected' if v == current else ''}>{html.escape(v)}</option>" for v in values
        )
        selects.append(
            f"<label>{name} <select name='{name}'><option value=''>any</option>{options}</select></label>"
        )
    return " ".join(selects)


def _quality_links(settings: Settings, run_days: list[object]) -> str:
    """A link to each listed day's validation page (ours, kept in the lake), and to GX's Data Docs
    page of a day where GX's site still has one (it keeps the last validated day only)."""
    links = []
    for day in run_days:
        if isinstance(day, date) and quality.has_result(settings, day):
            links.append(f"<a href='quality/{day}'>Validation of {day}</a>")
        pages = sorted((settings.quality_docs_dir / "validations").glob(f"*/ingest_date={day}/*/*.html"))
        if pages:
            relative = pages[-1].relative_to(settings.quality_docs_dir).as_posix()
            links.append(f"<a href='quality/{quote(relative)}'>GX Data Docs of {day}</a>")
    return f"<p>{' · '.join(links)}</p>" if links else ""


def articles_page(con: duckdb.DuckDBPyConnection, view: View, memo: queries.Memo) -> str:
    """The articles behind a number, with what was asked in words."""
    labels = memo.get(("labels",), lambda: queries.entity_labels(con))
    asked = [f"naming {labels.get(view.entity, view.entity)}" if view.entity else ""]
    asked += [f"together with {labels.get(view.with_entity, view.with_entity)}" if view.with_entity else ""]
    asked += [
        f"{name} {value}"
        for name, value in (
            ("in story", view.story),
            ("from publisher", view.publisher),
            ("in language", view.language),
            ("from source", view.source),
            ("matching", view.q),
        )
        if value
    ]
    what = html.escape(", ".join(a for a in asked if a) or "every article")
    back = html.escape(view.url("mentions", story=None, with_entity=None, q=None, page=1))
    body = (
        f"<p>Articles {what}, by {BASIS_NOTES[view.basis]}. <a href='{back}'>Back to the charts</a></p>"
        + _article_filters(memo.get(("choices",), lambda: queries.choices(con)), view)
        + drill.articles_section(
            con, view, memo.get(("days", view.basis), lambda: queries.data_days(con, view.basis))
        )
    )
    return shell("articles", body)


def _article_filters(choices: dict[str, list[str]], view: View) -> str:
    keep = _hidden(view, ("entity", "with_entity", "story", "q", "basis"))
    return (
        f"<form method='get' action='articles'>{keep}{_selects(choices, view)} "
        f"{_date_fields(view)} <button type='submit'>Filter</button></form>"
    )


def attention_page(con: duckdb.DuckDBPyConnection, view: View) -> str:
    """A phrase's articles per day or week, charted, tabled and linked to its matching sentences."""
    form = (
        "<form method='get' action='attention'><label>Phrase or query <input name='q' size='50' "
        f"value='{html.escape(view.q or '')}' placeholder='\"jens stoltenberg\" OR otan NOT russie'></label> "
        f"<select name='by'><option{' selected' if view.by == 'day' else ''}>day</option>"
        f"<option{' selected' if view.by == 'week' else ''}>week</option></select> <button type='submit'>Count</button></form>"
        "<p class='meta'>Words and \"quoted phrases\" match whole words in any case; AND (or nothing), OR, NOT; "
        "no parentheses. Every stored title and text is read.</p>"
    )
    if not view.q:
        return shell("a phrase over time", form)
    table = queries.phrase_over_time(con, view)
    counts = {cast("date", row[0]): cast("int", row[1]) for row in table.rows}  # period_start, n_articles
    link = _day_link(view, None, 6 if view.by == "week" else 0)
    chart = charts.Chart(
        [charts.Series(view.q, counts, link)],
        list(counts),
        BASIS_NOTES[view.basis],
        f"articles per {view.by}",
        unit="articles",
        step_days=7 if view.by == "week" else 1,
    )
    links = [link(day) for day in counts]
    body = [
        form,
        charts.render(chart),
        f"<p><a href='{html.escape(view.url('articles', by='day'))}'>Every matching article, with its sentences</a></p>",
        tables.render(
            tables.Table(table.name, table.columns, table.rows, links),
            "No article in the warehouse yet.",
            view.query(),
        ),
    ]
    return shell("a phrase over time", "\n".join(body))
