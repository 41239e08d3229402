"""The "Mentions" page of the Airflow UI: what the pipeline found, read-only from the warehouse.

A FastAPI app (served by Airflow's api-server through the plugin in `plugins/newsflow_ui.py`, or
alone for tests). `/mentions`: mentions over time of the most mentioned entities and of one found
by search (tracked or discovered), on a date range and either clock, in every article or one
publisher's, language's or source's, its co-occurrences, the trending entities, the latest stories
and what each run ingested; `/articles`: the articles behind any of those numbers; `/attention`:
any phrase over time; `/export/NAME.csv|json`: every table whole. Charts are inline SVG drawn
here (`charts`): nothing is loaded from the network. Every route, the Data Docs included, is
behind Airflow's own login (`auth`).
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import AsyncIterator, Callable
from datetime import date
from typing import Annotated

import duckdb
from fastapi import Depends, FastAPI, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from newsflow.settings import Settings
from newsflow.ui import drill, pages, quality, queries, runs, tables
from newsflow.ui.auth import READ_RUNS_REQUIRED, login_or_refuse
from newsflow.ui.queries import View
from newsflow.warehouse.attention import QueryError
from newsflow.warehouse.build import read_only

DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
NO_WAREHOUSE = "<p class='empty'>No warehouse yet: run the <code>news_ingest</code> DAG once.</p>"
# Each exported table, by name, from the same filters as the page that shows it.
EXPORTS: dict[str, Callable[[duckdb.DuckDBPyConnection, View], tables.Table]] = {
    "articles": drill.articles_table,
    "attention": queries.phrase_over_time,
    "entities": lambda con, view: queries.search_entities(con, view.find or "", view),
    "trending": lambda con, view: queries.trending(con, view)[0],
    "runs": lambda con, view: queries.runs(con),
    "stories": lambda con, view: queries.stories(
        con, view, *queries.full_range(queries.data_days(con, "published"), view)
    ),
    "cooccurrence": lambda con, view: queries.cooccurrence(
        con, view, *queries.full_range(queries.data_days(con, "published"), view), queries.entity_labels(con)
    ),
}


def view_of(
    entity: Annotated[str | None, Query(description="Entity id, e.g. nato")] = None,
    basis: Annotated[
        str, Query(pattern="^(published|ingest)$", description="Date articles by")
    ] = "published",
    start: Annotated[str | None, Query(max_length=10, description="First day shown, YYYY-MM-DD")] = None,
    end: Annotated[str | None, Query(max_length=10, description="Last day shown, YYYY-MM-DD")] = None,
    with_entity: Annotated[str | None, Query(description="Articles naming this entity too")] = None,
    story: str | None = None,
    publisher: str | None = None,
    language: str | None = None,
    source: str | None = None,
    q: Annotated[str | None, Query(max_length=500, description="A phrase query")] = None,
    by: Annotated[str, Query(pattern="^(day|week)$")] = "day",
    find: Annotated[str | None, Query(max_length=200)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> View:
    """The filters of a URL; an empty form field means no filter."""
    return View(
        _blank(entity),
        basis,
        _day(start, "start"),
        _day(end, "end"),
        _blank(with_entity),
        _blank(story),
        _blank(publisher),
        _blank(language),
        _blank(source),
        _blank(q),
        by,
        _blank(find),
        page,
    )


def _blank(value: str | None) -> str | None:
    return value or None


def _day(value: str | None, name: str) -> date | None:
    """A date field of the form: empty is no bound; anything but YYYY-MM-DD is refused, saying so."""
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST, f"{name}: {value!r} is not a date (YYYY-MM-DD)"
        ) from None


ViewFilters = Annotated[View, Depends(view_of)]


PageRender = Callable[[duckdb.DuckDBPyConnection, Settings, queries.Memo], str]


def render_page(settings: Settings, memo: queries.Memo, render: PageRender) -> HTMLResponse:
    """A page from one read-only connection; what to do when there is no warehouse yet; a query
    it cannot read refused (400) saying why."""
    if not settings.warehouse_path.exists():
        return HTMLResponse(pages.shell("what the pipeline found", NO_WAREHOUSE))
    try:
        with read_only(settings) as con:
            return HTMLResponse(render(con, settings, memo.renew(settings.warehouse_path)))
    except QueryError as exc:
        return HTMLResponse(pages.shell("a query it cannot read", f"<p class='empty'>{exc}</p>"), 400)


def day_quality(settings: Settings, day: date) -> HTMLResponse:
    """A day's validation page from what the lake keeps of it; 404 for a day never validated."""
    body = quality.quality_body(settings, day)
    if body is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no validation of {day} in the lake")
    return HTMLResponse(pages.shell(f"validation of {day}", body))


def export_table(settings: Settings, name: str, fmt: str, view: View) -> Response:
    """A table of the page, whole, as CSV or JSON under the warehouse's column names."""
    if name not in EXPORTS or fmt not in ("csv", "json") or not settings.warehouse_path.exists():
        raise HTTPException(status.HTTP_404_NOT_FOUND)
    try:
        with read_only(settings) as con:
            table = EXPORTS[name](con, view)
    except QueryError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from None
    body = tables.to_csv(table) if fmt == "csv" else tables.to_json(table)
    media = "text/csv" if fmt == "csv" else "application/json"
    disposition = f"attachment; filename=newsflow_{name}.{fmt}"
    return Response(body, media_type=f"{media}; charset=utf-8", headers={"Content-Disposition": disposition})


@contextlib.asynccontextmanager
async def prepare_at_start(app: FastAPI) -> AsyncIterator[None]:
    """What the first view would pay otherwise, done when the api-server starts (it runs the
    lifespan of each plugin app it mounts): mapping Airflow's models for the runs table."""
    runs.prepare()
    yield


def create_app(settings: Settings | None = None) -> FastAPI:
    """The app, every route behind Airflow's login (`auth`), with no OpenAPI schema or Swagger
    page of its own; `settings` default to the NEWSFLOW_* environment, read at each request."""
    app = FastAPI(
        title="newsflow",
        dependencies=[READ_RUNS_REQUIRED],
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        lifespan=prepare_at_start,
    )
    app.add_exception_handler(HTTPException, login_or_refuse)
    memo = queries.Memo()

    def respond(render: PageRender) -> HTMLResponse:
        return render_page(settings or Settings.from_env(), memo, render)

    # A route rather than a mount: a mounted app would not carry the login dependency.
    @app.get("/quality/{path:path}")
    async def quality_docs(path: str, request: Request) -> Response:
        """A day's validation page, ours (`/quality/YYYY-MM-DD`), or GX's Data Docs (the last
        validated day only); StaticFiles refuses paths that leave their folder."""
        if DAY.fullmatch(path):
            return day_quality(settings or Settings.from_env(), date.fromisoformat(path))
        docs = (settings or Settings.from_env()).quality_docs_dir
        files = StaticFiles(directory=docs, html=True, check_dir=False)
        return await files.get_response(os.path.normpath(path or "."), request.scope)

    @app.get("/", include_in_schema=False)
    def index() -> RedirectResponse:
        return RedirectResponse("mentions")

    @app.get("/mentions", response_class=HTMLResponse)
    def mentions(view: ViewFilters) -> HTMLResponse:
        return respond(lambda con, current, memo: pages.mentions_page(con, current, view, memo))

    @app.get("/articles", response_class=HTMLResponse)
    def articles(view: ViewFilters) -> HTMLResponse:
        return respond(lambda con, current, memo: pages.articles_page(con, view, memo))

    @app.get("/attention", response_class=HTMLResponse)
    def attention(view: ViewFilters) -> HTMLResponse:
        return respond(lambda con, current, memo: pages.attention_page(con, view))

    @app.get("/export/{name}.{fmt}")
    def export(name: str, fmt: str, view: ViewFilters) -> Response:
        return export_table(settings or Settings.from_env(), name, fmt, view)

    @app.get("/{path:path}", include_in_schema=False)
    def not_found(path: str) -> None:
        """Behind the login too: an anonymous caller learns nothing, not even which pages exist."""
        raise HTTPException(status.HTTP_404_NOT_FOUND)

    return app
