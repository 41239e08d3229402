"""What the Mentions page reads from the warehouse: the filters a URL carries (`View`) and one
function per table or chart, each a single query on the read-only connection."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlencode

import duckdb

from newsflow.ui.tables import Table
from newsflow.warehouse import attention
from newsflow.warehouse.report import TOP_ENTITIES

T = TypeVar("T")
PAGE_SIZE = 25
STORIES_SHOWN = 10
RUNS_SHOWN = 14
MIN_HISTORY_DAYS = 14  # trending_as_of's default: below it every entity is 'new'
VIEWS = {"published": "mentions_daily", "ingest": "mentions_daily_by_ingest"}
DATE_COLUMNS = {"published": "mention_date", "ingest": "ingest_date"}
# The day of a row of entity_articles on each clock.
ARTICLE_DAYS = {"published": "mention_date", "ingest": "first_ingest_date"}
ARTICLE_FILTERS = ("publisher", "language", "source")  # columns of entity_articles and int_articles


@dataclass(frozen=True, slots=True)
class View:
    """The filters in a page's URL: what to count, over which days, and which articles to list."""

    entity: str | None = None
    basis: str = "published"
    start: date | None = None
    end: date | None = None
    with_entity: str | None = None  # a co-occurrence: articles naming both
    story: str | None = None
    publisher: str | None = None
    language: str | None = None
    source: str | None = None
    q: str | None = None  # a phrase query (newsflow.warehouse.attention)
    by: str = "day"  # the phrase's counts per day or per week
    find: str | None = None  # an entity search
    page: int = 1

    def url(self, path: str, **changes: object) -> str:
        """`path` with these filters (and `changes`) as its query string."""
        query = urlencode(replace(self, **changes).query())  # type: ignore[arg-type]  # changes name View's fields
        return f"{path}?{query}" if query else path

    def article_filters(self) -> dict[str, str]:
        """The publisher, language and source filters that are set, by column."""
        return {name: value for name in ARTICLE_FILTERS if (value := getattr(self, name))}

    def query(self) -> dict[str, str]:
        """The filters that differ from the defaults, as strings."""
        values = ((name, getattr(self, name)) for name in self.__slots__)
        return {k: str(v) for k, v in values if v not in (None, "") and _DEFAULTS.get(k) != v}


_DEFAULTS: dict[str, object] = {"page": 1, "by": "day", "basis": "published"}


class Memo:
    """The page's reads that no filter changes (days with data, trending, runs, labels), kept
    until the warehouse file is swapped for a new build: a build writes a new file, so its
    inode and modification time change."""

    def __init__(self) -> None:
        self._stamp: tuple[int, int, int] | None = None
        self._values: dict[tuple[object, ...], object] = {}

    def renew(self, path: Path) -> Memo:
        """Forget everything when `path` is no longer the file the values were read from."""
        status = path.stat()
        stamp = (status.st_ino, status.st_mtime_ns, status.st_size)
        if stamp != self._stamp:
            self._stamp, self._values = stamp, {}
        return self

    def get(self, key: tuple[object, ...], compute: Callable[[], T]) -> T:
        if key not in self._values:
            self._values[key] = compute()
        return self._values[key]  # type: ignore[return-value]  # stored by compute() under this key


def entity_labels(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    return dict(con.execute("select entity_id, label from entities").fetchall())


def data_days(con: duckdb.DuckDBPyConnection, basis: str) -> list[date]:
    """The days on which some article is dated, on the page's clock."""
    return [
        row[0]
        for row in con.execute("select day from article_days($b) order by day", {"b": basis}).fetchall()
    ]


def _daily_counts(view: View) -> tuple[str, dict[str, object]]:
    """A query of (entity_id, day, n_mentions) on the view's clock, and its parameters: the stored
    daily counts, or under a publisher, language or source filter, those articles' mentions."""
    filters = view.article_filters()
    if not filters:
        return f"select entity_id, {DATE_COLUMNS[view.basis]} as day, n_mentions from {VIEWS[view.basis]}", {}
    where = "".join(f" and {column} = ${column}" for column in filters)
    return (  # the entities counted, as mention_counts counts them: those of the entities table
        f"select entity_id, {ARTICLE_DAYS[view.basis]} as day, sum(n_mentions) as n_mentions from entity_articles "
        f"where entity_id in (select entity_id from entities){where} group by all",
        dict(filters),
    )


def top_entities(con: duckdb.DuckDBPyConnection, view: View, first: date, last: date) -> list[str]:
    """The most mentioned entities over the range, most first."""
    counts, parameters = _daily_counts(view)
    rows = con.execute(
        f"select entity_id from ({counts}) where day between $first and $last group by entity_id "
        "order by sum(n_mentions) desc, entity_id limit $n",
        {**parameters, "first": first, "last": last, "n": TOP_ENTITIES},
    ).fetchall()
    return [row[0] for row in rows]


def daily_mentions(
    con: duckdb.DuckDBPyConnection, view: View, entity_ids: list[str], first: date, last: date
) -> dict[str, dict[date, int]]:
    """Per entity, its mentions per day with any, over the range."""
    counts, parameters = _daily_counts(view)
    found: dict[str, dict[date, int]] = {e: {} for e in entity_ids}
    for entity_id, day, n in con.execute(
        f"select entity_id, day, n_mentions from ({counts}) "
        "where list_contains($ids, entity_id) and day between $first and $last",
        {**parameters, "ids": entity_ids, "first": first, "last": last},
    ).fetchall():
        found[entity_id][day] = int(n)
    return found


def search_entities(con: duckdb.DuckDBPyConnection, text: str, view: View) -> Table:
    """Tracked and discovered entities whose label or alias holds `text`, most mentioned first."""
    rows = con.execute(
        f"select e.entity_id, e.label, e.entity_kind, e.entity_type, coalesce(sum(m.n_mentions), 0)::bigint, "
        f"coalesce(sum(m.n_articles), 0)::bigint, min(m.{DATE_COLUMNS[view.basis]}), max(m.{DATE_COLUMNS[view.basis]}) "
        f"from entities as e left join {VIEWS[view.basis]} as m using (entity_id) "
        "where e.label ilike $like or list_has_any([lower(a) for a in e.aliases], [lower($text)]) "
        "or e.entity_id ilike $like group by all order by 5 desc, e.label limit 50",
        {"like": f"%{text}%", "text": text},
    ).fetchall()
    return Table(
        "entities",
        ["label", "entity_kind", "entity_type", "n_mentions", "n_articles", "first_date", "last_date"],
        [row[1:] for row in rows],
        [view.url("mentions", entity=row[0], find=None, page=1) for row in rows],
    )


def cooccurrence(
    con: duckdb.DuckDBPyConnection, view: View, first: date, last: date, labels: dict[str, str]
) -> Table:
    """The entities named in the same articles as the view's entity (publication weeks in range);
    under a publisher, language or source filter, in those articles only."""
    filters = view.article_filters()
    pairs = "cooccurrence_weekly"
    if filters:  # the same pairs as cooccurrence_weekly, from the filtered articles
        where = "".join(f" and a.{column} = ${column}" for column in filters)
        pairs = (
            "(select cast(date_trunc('week', a.mention_date) as date) as week_start, a.entity_id as entity_a, "
            "b.entity_id as entity_b, count(*) as n_articles, count(distinct a.story_id) as n_stories "
            "from entity_articles as a join entity_articles as b on a.article_id = b.article_id "
            f"and a.entity_id <> b.entity_id where a.entity_id = $e{where} "
            "and a.mention_date between $first - 6 and $last + 6 group by all)"  # the weeks in range, and more
        )
    rows = con.execute(
        "select case when entity_a = $e then entity_b else entity_a end as other, sum(n_articles)::bigint, "
        f"sum(n_stories)::bigint from {pairs} where $e in (entity_a, entity_b) "
        "and week_start between $first - 6 and $last group by other "
        "order by 3 desc, 2 desc, other limit 10",
        {**filters, "e": view.entity, "first": first, "last": last},
    ).fetchall()
    links = [
        view.url("articles", with_entity=o, basis="published", start=first, end=last) for o, _, _ in rows
    ]
    return Table(
        "cooccurrence",
        ["label", "n_articles", "n_stories"],
        [(labels.get(o, o), a, s) for o, a, s in rows],
        links,
    )


def trending(con: duckdb.DuckDBPyConnection, view: View) -> tuple[Table, str, bool]:
    """The trending and new entities; why there are none, or why they are all new; and whether
    the history is too short to call any entity trending."""
    rows = con.execute(
        "select entity_id, label, status, n_mentions_7d, history_days, ratio, z_score from trending "
        "order by status desc, z_score desc nulls last, n_mentions_7d desc, label"
    ).fetchall()
    (n_days,) = con.execute("select count(*) from article_days('published')").fetchone() or (0,)
    table = Table(
        "trending",
        ["label", "status", "n_mentions_7d", "history_days", "ratio", "z_score"],
        [row[1:] for row in rows],
        [view.url("mentions", entity=row[0]) for row in rows],
    )
    short = n_days < MIN_HISTORY_DAYS + 1
    why = (
        f"No entity can be called trending yet: trending needs {MIN_HISTORY_DAYS} days with data in the 28 "
        f"days before the last run's week; this warehouse has {n_days} day{'s' if n_days != 1 else ''} with "
        "data in all, so every entity mentioned this week is 'new'."
        if short
        else "Nothing trending: no entity's last 7 days rose two standard deviations above its 28 days before."
    )
    return table, why, short


def stories(con: duckdb.DuckDBPyConnection, view: View, first: date, last: date) -> Table:
    """The latest stories in the range; under a publisher, language or source filter, those with an
    article of it (the story's counts stay the whole story's)."""
    filters = view.article_filters()
    where = "".join(
        f" and story_id in (select story_id from int_articles where {column} = ${column})"
        for column in filters
    )
    rows = con.execute(
        "select story_id, last_date, title, n_articles, n_publishers, publishers from stories "
        f"where last_date between $first and $last{where} order by last_date desc, n_articles desc, title limit $n",
        {**filters, "first": first, "last": last, "n": STORIES_SHOWN},
    ).fetchall()
    shown = View(basis="published", publisher=view.publisher, language=view.language, source=view.source)
    links = [shown.url("articles", story=row[0]) for row in rows]
    return Table(
        "stories",
        ["last_date", "title", "n_articles", "n_publishers", "publishers"],
        [r[1:] for r in rows],
        links,
        1,
    )


def choices(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """The values the article filters offer: publishers, languages and sources in the warehouse."""
    return {
        column: [
            row[0]
            for row in con.execute(
                f"select distinct {column} from int_articles where {column} is not null order by 1"
            ).fetchall()
        ]
        for column in ("publisher", "language", "source")
    }


def article_page(
    con: duckdb.DuckDBPyConnection, view: View, first: date, last: date, limit: int = PAGE_SIZE
) -> tuple[list[dict[str, object]], int]:
    """One page of the articles behind the view (newest first), and how many there are in all."""
    parameters: dict[str, object] = {
        "first": first,
        "last": last,
        "basis": view.basis,
        "entity": view.entity,
        "with": view.with_entity,
        "story": view.story,
        "publisher": view.publisher,
        "language": view.language,
        "source": view.source,
    }
    matches = ""
    if view.q:
        parameters |= attention.macro_arguments(attention.parse_query(view.q))
        matches = f"semi join text_matches({attention.ARGUMENTS_SQL}) using (article_id)"
    listed = (
        "select * from article_list($first, $last, basis := $basis, entity := $entity, with_entity := $with, "
        "story := $story, of_publisher := $publisher, in_language := $language, from_source := $source) "
        f"{matches}"
    )
    cursor = con.execute(
        f"select *, count(*) over () as n_total from ({listed}) order by day desc, publisher, title, article_id "
        f"limit {int(limit)} offset {int(limit) * (view.page - 1)}",
        parameters,
    )
    columns = [d[0] for d in cursor.description or []]
    rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    if rows or view.page == 1:
        return rows, int(str(rows[0]["n_total"])) if rows else 0
    (total,) = con.execute(f"select count(*) from ({listed})", parameters).fetchone() or (0,)
    return rows, int(total)  # a page past the end: none listed, but how many there are


def texts(con: duckdb.DuckDBPyConnection, rows: list[dict[str, object]]) -> dict[str, tuple[str, str]]:
    """The title and text of each listed article, in the version it was listed from."""
    found = con.execute(
        # The rows are found first, by their keys, then their text read by row id: text is read
        # only for them (~8 ms for a page, against ~50 ms when the keys filter the texts read).
        "select article_id, coalesce(title, ''), text from lake_articles where rowid in (select rowid "
        "from lake_articles where list_contains($days, ingest_date) "  # prunes the table's row groups first
        "and list_contains($keys, {'article_id': article_id, 'ingest_date': ingest_date}))",
        {
            "days": sorted({r["ingest_date"] for r in rows}),  # type: ignore[type-var]  # dates
            "keys": [{"article_id": r["article_id"], "ingest_date": r["ingest_date"]} for r in rows],
        },
    ).fetchall()
    return {article_id: (title, text) for article_id, title, text in found}


def phrase_over_time(con: duckdb.DuckDBPyConnection, view: View) -> Table:
    """Per day or week with data, the articles (publishers, stories) matching the view's query."""
    arguments = attention.macro_arguments(attention.parse_query(view.q or ""))
    cursor = con.execute(attention.ATTENTION_SQL, {**arguments, "grain": view.by, "basis": view.basis})
    return Table("attention", [d[0] for d in cursor.description or []], cursor.fetchall())


def runs(con: duckdb.DuckDBPyConnection) -> Table:
    """Per ingest day: articles published, duplicates, quarantined (by stage and reason), fetch
    failures (by reason)."""
    rows = con.execute(
        "with days as (select ingest_date from lake_articles union select ingest_date from lake_quarantine "
        "union select ingest_date from lake_fetch_log order by 1 desc limit $n), "
        "published as (select ingest_date, count(*) as n, count(duplicate_of) as d from lake_articles group by 1), "
        "reasons as (select ingest_date, stage || ': ' || unnest(failed_expectations) as reason from quarantine), "
        "q as (select ingest_date, count(*) as n from quarantine group by 1), "
        "qr as (select ingest_date, string_agg(reason || ' ×' || n, '; ' order by n desc, reason) as why from "
        "(select ingest_date, reason, count(*) as n from reasons group by all) group by 1), "
        "f as (select ingest_date, count(*) as n, string_agg(error_class, '; ') as why from "
        "(select ingest_date, error_class || ' ×' || count(*) as error_class from fetch_log where is_failure group by ingest_date, fetch_log.error_class) group by 1) "
        "select d.ingest_date, coalesce(p.n, 0), coalesce(p.d, 0), coalesce(q.n, 0), qr.why, coalesce(f.n, 0), f.why "
        "from days as d left join published as p using (ingest_date) left join q using (ingest_date) "
        "left join qr using (ingest_date) left join f using (ingest_date) order by d.ingest_date desc",
        {"n": RUNS_SHOWN},
    ).fetchall()
    columns = [
        "ingest_date",
        "n_articles",
        "n_duplicates",
        "n_quarantined",
        "why_quarantined",
        "n_fetch_failures",
        "why_failed",
    ]
    return Table("runs", columns, rows)


def full_range(days: list[date], view: View) -> tuple[date, date]:
    """The view's range, defaulting to every day with data (or today when there is none)."""
    first = view.start or (days[0] if days else date.today())
    last = view.end or (days[-1] if days else first)
    return (first, last) if first <= last else (last, first)
