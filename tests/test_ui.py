"""The Mentions page's app: what each run quarantined and why, and who may read it (Airflow's own
login, checked by the real api-server app with this project's plugin mounted)."""

from __future__ import annotations

import html
import re
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest
from api_login import api_server, login_token
from fastapi.testclient import TestClient

from newsflow import cli, tasks
from newsflow.settings import Settings
from newsflow.ui import charts
from newsflow.ui.app import EXPORTS, create_app
from newsflow.warehouse.attention import Clause, QueryError, parse_query
from newsflow.warehouse.build import build_warehouse

from conftest import SEEDS_DIR

# Every kind of route the plugin app has, a few it does not, and a path-traversal attempt.
PLUGIN_PATHS = [
    "/newsflow/",
    "/newsflow/mentions",
    "/newsflow/mentions?entity=nato&basis=ingest",
    "/newsflow/quality/",
    "/newsflow/quality/index.html",
    "/newsflow/quality/%2e%2e/warehouse.duckdb",
    "/newsflow/docs",
    "/newsflow/redoc",
    "/newsflow/openapi.json",
    "/newsflow/no-such-page",
]


@pytest.fixture(scope="module")
def token(airflow_db: Path) -> str:
    return login_token()


def test_runs_table_says_what_was_quarantined_and_why(tmp_path: Path, token: str) -> None:
    inbox = tmp_path / "inbox"
    shutil.copytree(SEEDS_DIR, inbox)
    (inbox / "stub.txt").write_text("Trop court\n\nUne ligne.", encoding="utf-8")
    (inbox / "binary.txt").write_bytes(b"\x00\x01\x02" * 100)
    settings = Settings(data_dir=tmp_path / "data", source_dir=inbox)
    tasks.ingest_day(date(2024, 7, 10), settings)
    build_warehouse(settings)
    page = TestClient(create_app(settings), cookies={"_token": token}).get("/mentions").text
    assert "<td>2024-07-10</td><td class=num>5</td><td class=num>0</td><td class=num>2</td>" in page
    assert "validate: expect_column_values_to_be_between(text_chars) ×1" in page
    assert "read: binary_content: not text in any known encoding ×1" in page


def test_page_without_a_warehouse_says_what_to_do(tmp_path: Path, token: str) -> None:
    page = TestClient(create_app(Settings(data_dir=tmp_path)), cookies={"_token": token}).get("/mentions")
    assert page.status_code == 200 and "run the <code>news_ingest</code> DAG" in page.text


@pytest.fixture
def plugin_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The plugin's data folder (it reads NEWSFLOW_DATA_DIR at each request): no warehouse yet,
    one Data Docs page, and a file beside the Data Docs that no URL may reach."""
    monkeypatch.setenv("NEWSFLOW_DATA_DIR", str(tmp_path))
    docs = Settings(data_dir=tmp_path).quality_docs_dir
    docs.mkdir(parents=True)
    (docs / "index.html").write_text("<html><body>Data Docs of 2024-07-10</body></html>", encoding="utf-8")
    (docs.parent / "warehouse.duckdb").write_text("not for the web", encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("path", PLUGIN_PATHS)
def test_every_plugin_route_refuses_an_anonymous_caller(path: str, plugin_data: Path, token: str) -> None:
    server = api_server()
    assert server.get("/api/v2/dags").status_code == 401  # Airflow's own API, for comparison
    anonymous = server.get(path, follow_redirects=False)
    assert (anonymous.status_code, anonymous.json()) == (401, {"detail": "Not authenticated"})
    forged = server.get(path, headers={"Authorization": f"Bearer {token[:-4]}AAAA"}, follow_redirects=False)
    assert forged.status_code == 403  # a token whose signature does not match


def test_a_logged_in_user_reads_the_page_and_the_data_docs(plugin_data: Path, token: str) -> None:
    server = api_server()
    by_cookie = api_server(token).get("/newsflow/mentions")
    by_header = server.get("/newsflow/mentions", headers={"Authorization": f"Bearer {token}"})
    for page in (by_cookie, by_header):
        assert page.status_code == 200 and "run the <code>news_ingest</code> DAG" in page.text
    docs = server.get("/newsflow/quality/", headers={"Authorization": f"Bearer {token}"})
    assert docs.status_code == 200 and "Data Docs of 2024-07-10" in docs.text
    # No schema or Swagger page for the plugin app, even logged in; nothing outside the Data Docs.
    for path in ("/newsflow/docs", "/newsflow/openapi.json", "/newsflow/quality/%2e%2e/warehouse.duckdb"):
        assert server.get(path, headers={"Authorization": f"Bearer {token}"}).status_code == 404


def test_a_browser_without_a_login_is_sent_to_the_login_form_and_back(plugin_data: Path) -> None:
    page = api_server().get(
        "/newsflow/mentions?entity=nato", headers={"Accept": "text/html"}, follow_redirects=False
    )
    assert page.status_code == 303
    assert page.headers["location"] == "/auth/login?next=%2Fnewsflow%2Fmentions%3Fentity%3Dnato"


# --- Charts: a true time axis -------------------------------------------------------------------

YEAR_APART = charts.Chart(
    [charts.Series("NATO", {date(2023, 7, 10): 5, date(2024, 7, 10): 3}, lambda d: f"articles?day={d}")],
    [date(2023, 7, 10), date(2024, 7, 10)],
    "publication date",
    "mentions per day",
)


def test_a_chart_of_two_days_a_year_apart_shows_the_gap_between_them() -> None:
    svg = charts.render(YEAR_APART)
    assert "<polyline" not in svg  # no line across the year without data
    assert svg.count("<circle") == 2
    assert "<title>no articles dated 2023-07-11 – 2024-07-09</title>" in svg
    ticks = re.findall(r"<text class='tick' x='([\d.]+)'[^>]*>([^<]+)</text>", svg)
    assert [label for _, label in ticks] == ["2023-09", "2023-11", "2024-01", "2024-03", "2024-05", "2024-07"]
    assert "publication date</text>" in svg and "mentions per day</text>" in svg  # axis titles
    assert "<title>NATO, 2023-07-10: 5 mentions</title>" in svg  # the value on hover
    assert "href='articles?day=2024-07-10'" in svg  # a point leads to its articles
    assert "width='100%'" in svg and "viewBox=" in svg  # as wide as the page


def test_dates_are_spaced_by_time_and_consecutive_days_joined() -> None:
    days = [date(2024, 1, 1), date(2024, 1, 2), date(2024, 12, 31)]
    svg = charts.render(charts.Chart([charts.Series("A", {days[0]: 1, days[2]: 2})], days, "day", "n"))
    xs = [float(x) for x in re.findall(r"<circle cx='([\d.]+)'", svg)]
    assert (xs[1] - xs[0]) == pytest.approx((xs[2] - xs[0]) / 365, abs=0.1)
    # The 2nd of January had articles but no mention of A: a zero on a line joining the 1st.
    (line,) = re.findall(r"<polyline[^>]*points='([^']*)'", svg)
    assert len(line.split()) == 2


def test_legend_follows_the_order_given_and_counts_the_range() -> None:
    day = date(2024, 7, 10)
    chart = charts.Chart(
        [charts.Series("Zeta", {day: 9}), charts.Series("Alpha", {day: 2})], [day], "day", "mentions per day"
    )
    assert re.findall(r">(\w+) \((\d+)\)</text>", charts.render(chart)) == [("Zeta", "9"), ("Alpha", "2")]


# --- From any number to its articles ------------------------------------------------------------


@pytest.fixture(scope="module")
def seeded_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """A warehouse of the seeds: one day, 2024-07-10."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("ui"), source_dir=SEEDS_DIR)
    tasks.ingest_day(date(2024, 7, 10), settings)
    build_warehouse(settings)
    return settings


@pytest.fixture(scope="module")
def seeded(seeded_settings: Settings, token: str) -> TestClient:
    """The app on the seeds' warehouse, logged in."""
    return TestClient(create_app(seeded_settings), cookies={"_token": token})


def links(page: str, pattern: str) -> list[str]:
    return [html.unescape(href) for href in re.findall(rf"href='({pattern}[^']*)'", page)]


def test_a_point_of_the_chart_lists_its_articles_with_the_mention_highlighted(seeded: TestClient) -> None:
    page = seeded.get("/mentions?entity=nato").text
    point = next(
        link for link in links(page, "articles") if "entity=nato&start=2024-07-10&end=2024-07-10" in link
    )
    articles = seeded.get(f"/{point}").text
    assert "5 articles, 2024-07-10 to 2024-07-10; page 1 of 1" in articles
    assert articles.count("<li>") == 5 and "<mark>OTAN</mark>" in articles
    assert "Articles naming NATO" in articles
    china = seeded.get("/articles?entity=china").text  # named in 3 of the 5 articles
    assert "3 articles" in china and "<mark>Chine</mark>" in china


def test_a_cooccurrence_cell_and_a_story_list_the_articles_they_count(seeded: TestClient) -> None:
    page = seeded.get("/mentions?entity=nato").text
    # The co-occurrence row: NATO with North Korea in 3 of the 5 articles.
    pair = next(link for link in links(page, "articles") if "with_entity=north_korea" in link)
    assert "3 articles" in seeded.get(f"/{pair}").text
    story = next(link for link in links(page, "articles") if "story=" in link)
    assert "2 articles" in seeded.get(f"/{story}").text  # the syndicated story of two articles


def test_article_filters_narrow_the_list_and_say_when_nothing_is_left(seeded: TestClient) -> None:
    assert "5 articles" in seeded.get("/articles?entity=nato&language=fr").text
    empty = seeded.get("/articles?entity=nato&language=en").text
    assert "No article matches these filters between 2024-07-10 and 2024-07-10." in empty
    assert "No article matches" in seeded.get("/articles?entity=nato&start=2020-01-01&end=2020-12-31").text
    refused = seeded.get("/articles?entity=nato&start=2020-13-01")
    assert (refused.status_code, refused.json()) == (
        400,
        {"detail": "start: '2020-13-01' is not a date (YYYY-MM-DD)"},
    )


def test_entity_search_finds_entities_with_their_counts(seeded: TestClient) -> None:
    page = seeded.get("/mentions?entity=nato&find=stolt&start=&end=").text  # as the form sends it
    assert "<td><a href='mentions?entity=jens_stoltenberg'>Jens Stoltenberg</a></td><td>tracked</td>" in page
    assert "<td class=num>27</td><td class=num>5</td>" in page  # mentions, articles


def test_trending_says_why_every_entity_is_new(seeded: TestClient) -> None:
    page = html.unescape(seeded.get("/mentions").text)
    assert "trending needs 14 days with data in the 28 days before the last run's week" in page
    assert "this warehouse has 1 day with data in all, so every entity mentioned this week is 'new'" in page


def test_every_table_exports_as_csv_and_json(seeded: TestClient) -> None:
    for name in EXPORTS:
        query = "?q=otan&entity=nato&find=nato"
        as_csv = seeded.get(f"/export/{name}.csv{query}")
        as_json = seeded.get(f"/export/{name}.json{query}")
        assert as_csv.status_code == as_json.status_code == 200, name
        header, *lines = as_csv.text.splitlines()
        assert len(lines) == len(as_json.json()) > 0, name
        assert header.split(",") == list(as_json.json()[0]), name
    articles = seeded.get("/export/articles.json?entity=nato").json()
    assert len(articles) == 5 and {a["language"] for a in articles} == {"fr"}


@pytest.fixture(scope="module")
def two_publishers(tmp_path_factory: pytest.TempPathFactory, token: str) -> tuple[TestClient, Settings]:
    """The seeds of 2024-07-10 from two publishers: gazette (the first two seeds), courrier (the rest)."""
    root = tmp_path_factory.mktemp("publishers")
    seeds = sorted(SEEDS_DIR.glob("*.txt"))
    for name, files in (("gazette", seeds[:2]), ("courrier", seeds[2:])):
        (root / name).mkdir()
        for seed in files:
            shutil.copy(seed, root / name / seed.name)
    sources = "".join(
        f"  - {{name: {name}, kind: folder, location: {root / name}}}\n" for name in ("gazette", "courrier")
    )
    (root / "sources.yaml").write_text("sources:\n" + sources, encoding="utf-8")
    settings = Settings(data_dir=root / "data", sources_path=root / "sources.yaml")
    tasks.ingest_day(date(2024, 7, 10), settings)
    build_warehouse(settings)
    return TestClient(create_app(settings), cookies={"_token": token}), settings


def chart_points(page: str, label: str) -> dict[str, int]:
    """The values of one line of the page's charts, by day, as each point's hover text says them."""
    found = re.findall(rf"<title>{re.escape(label)}, (\d{{4}}-\d\d-\d\d): ([\d,]+) mentions</title>", page)
    return {day: int(value.replace(",", "")) for day, value in found}


def test_a_publisher_filter_counts_only_its_articles_mentions_down_to_the_exports(
    two_publishers: tuple[TestClient, Settings],
) -> None:
    client, settings = two_publishers
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        per_publisher = dict(
            con.execute(
                "select publisher, count(*) from mention_occurrences where entity_id = 'nato' group by all"
            ).fetchall()
        )
        both = dict(  # gazette's articles naming NATO and each other entity
            con.execute(
                "select o.entity_id, count(distinct o.article_id) from mentions as n join mentions as o "
                "using (article_id) where n.entity_id = 'nato' and o.entity_id <> 'nato' "
                "and n.publisher = 'gazette' group by all"
            ).fetchall()
        )
        labels = dict(con.execute("select entity_id, label from entities").fetchall())
    assert per_publisher["gazette"] and per_publisher["courrier"]  # both name NATO
    everyone = chart_points(client.get("/mentions?entity=nato").text, "NATO")
    page = client.get("/mentions?entity=nato&publisher=gazette").text
    assert chart_points(page, "NATO") == {"2024-07-10": per_publisher["gazette"]}
    assert everyone == {"2024-07-10": per_publisher["gazette"] + per_publisher["courrier"]}
    assert "in the articles of publisher <b>gazette</b> only" in page
    assert "<option selected>gazette</option>" in page  # the form shows the filter

    # A point leads to gazette's articles only; the tables and their exports count those only.
    point = next(link for link in links(page, "articles") if "start=2024-07-10&end=2024-07-10" in link)
    assert "publisher=gazette" in point and "2 articles" in client.get(f"/{point}").text
    exports = links(page, "export/")
    assert exports and all("publisher=gazette" in link for link in exports)
    pairs = client.get("/export/cooccurrence.json?entity=nato&publisher=gazette").json()
    ids = {label: entity for entity, label in labels.items()}
    assert len(pairs) == min(len(both), 10)  # the ten that share most stories with NATO there
    assert all(row["n_articles"] == both[ids[row["label"]]] for row in pairs)
    stories = client.get("/export/stories.json?publisher=courrier").json()
    assert stories and all("courrier" in row["publishers"] for row in stories)


def test_the_page_reads_each_new_build_its_kept_reads_included(tmp_path: Path, token: str) -> None:
    settings = Settings(data_dir=tmp_path / "data", source_dir=SEEDS_DIR)
    tasks.ingest_day(date(2024, 7, 10), settings)
    build_warehouse(settings)
    client = TestClient(create_app(settings), cookies={"_token": token})
    assert "Newest data: ingest date <b>2024-07-10</b>" in client.get("/mentions").text
    tasks.ingest_day(date(2024, 7, 12), settings)
    build_warehouse(settings)  # a new file swapped in: the days and runs it kept are read again
    page = client.get("/mentions").text
    assert "Newest data: ingest date <b>2024-07-12</b>" in page and "<td>2024-07-12</td>" in page


# --- Any phrase over time -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "clauses"),
    [
        ("otan", [Clause(("otan",))]),
        (
            '"jens  stoltenberg" OR otan NOT russie',
            [Clause(("jens stoltenberg",)), Clause(("otan",), ("russie",))],
        ),
        ("chine nucléaire", [Clause(("chine", "nucléaire"))]),  # AND is implied
        ("chine AND NOT corée OR iran", [Clause(("chine",), ("corée",)), Clause(("iran",))]),
    ],
)
def test_a_query_reads_as_an_or_of_ands(query: str, clauses: list[Clause]) -> None:
    assert parse_query(query) == clauses


@pytest.mark.parametrize("query", ["NOT russie", "otan OR", "(otan OR nato)", 'otan "', "a b c d e f g h i"])
def test_a_query_it_cannot_read_is_refused_saying_why(query: str) -> None:
    with pytest.raises(QueryError, match=re.escape(repr(query))):
        parse_query(query)


def test_a_phrase_is_counted_per_day_with_its_matching_sentences(seeded: TestClient) -> None:
    page = seeded.get("/attention?q=chine+AND+nucl%C3%A9aire").text
    # The day's row: 2 matching articles, 1 publisher, 1 story (the syndicated pair), of 5 articles.
    assert (
        "2024-07-10</a></td><td class=num>2</td><td class=num>1</td><td class=num>1</td><td class=num>5</td>"
        in page
    )
    (day,) = set(links(page, "articles[?]start="))  # the chart's point and the table's row
    articles = seeded.get(f"/{day}").text
    assert (
        "2 articles" in articles and "<mark>Chine</mark>" in articles and "<mark>nucléaire</mark>" in articles
    )
    # Whole words only: "otan" does not match inside another word, and NOT leaves articles out.
    assert "5 articles" in seeded.get("/articles?q=otan").text
    assert "3 articles" in seeded.get("/articles?q=chine").text
    assert "2 articles" in seeded.get("/articles?q=otan+NOT+chine").text  # the 5 less the 3
    assert "No article matches" in seeded.get("/articles?q=ota").text
    refused = seeded.get("/attention?q=NOT+russie")
    assert refused.status_code == 400 and "not only NOT" in refused.text


def test_the_attention_command_prints_the_same_counts(
    seeded_settings: Settings, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    warehouse = str(seeded_settings.warehouse_path)
    assert cli.main(["attention", "chine AND nucléaire", "--by", "week", "--warehouse", warehouse]) == 0
    assert re.search(r"2024-07-08 +│ 2 +│ 1 +│ 1 +│ 5", capsys.readouterr().out)  # the ISO week of the 10th
    assert cli.main(["attention", "NOT russie", "--warehouse", warehouse]) == 2
    assert "not only NOT" in capsys.readouterr().err


# --- Data quality per day -----------------------------------------------------------------------


def test_a_days_validation_page_outlives_later_runs_and_names_its_failing_articles(
    tmp_path: Path, token: str
) -> None:
    inbox = tmp_path / "inbox"
    shutil.copytree(SEEDS_DIR, inbox)
    (inbox / "stub.txt").write_text("Trop court\n\nUne ligne.", encoding="utf-8")
    settings = Settings(data_dir=tmp_path / "data", source_dir=inbox)
    tasks.ingest_day(date(2024, 7, 10), settings)
    (inbox / "stub.txt").unlink()
    tasks.ingest_day(date(2024, 7, 12), settings)  # a later day, all of whose articles pass
    build_warehouse(settings)
    client = TestClient(create_app(settings), cookies={"_token": token})
    shutil.rmtree(settings.quality_docs_dir)  # the page is read from the lake alone, not GX's site
    page = client.get("/quality/2024-07-10")
    assert page.status_code == 200 and "the suite <b>failed</b>, 5 of 6 expectations met" in page.text
    assert re.search(r"\(validated \d{4}-\d\d-\d\d \d\d:\d\d UTC\)", page.text)
    row = "<td>expect_column_values_to_be_between</td><td>text_chars</td><td>min_value=200.0, max_value=200000.0</td>"
    assert row + "<td>FAILED</td><td class=num>6</td><td class=num>1</td>" in page.text
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        (stub,) = con.execute(
            "select article_id from quarantine where source_path = 'stub.txt'"
        ).fetchone() or ("",)
    assert (
        f"<td>{stub}</td><td>stub.txt</td><td>expect_column_values_to_be_between(text_chars)</td><td>22</td>"
        in page.text
    )
    assert "<script" not in page.text and "<link" not in page.text  # nothing from the network
    later = client.get("/quality/2024-07-12").text
    assert "the suite <b>passed</b>" in later and "No article of 2024-07-12 failed validation." in later
    assert "href='quality/2024-07-10'>Validation of 2024-07-10</a>" in client.get("/mentions").text
    assert client.get("/quality/2024-07-11").status_code == 404  # no run that day
