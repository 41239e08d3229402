"""Reading others' WARC files (the `warc` source kind): which records become documents, on which
day, what is skipped and counted, and what a damaged file keeps. Archives are written here with
warcio from the test pages, never downloaded."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import duckdb
import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from newsflow import tasks
from newsflow.cli import main
from newsflow.ingest.sources import ConfigError, load_sources
from newsflow.settings import Settings
from newsflow.store import lake

from conftest import FIXTURES_DIR

DAY_1, DAY_2 = date(2024, 7, 10), date(2024, 7, 11)
PAGES = FIXTURES_DIR / "html"


class Archive:
    """A gzipped WARC file being written, one record a call."""

    def __init__(self, path: Path) -> None:
        self.path, self.buffer = path, io.BytesIO()
        self.writer = WARCWriter(self.buffer, gzip=True)
        self.record("warcinfo", "", b"software: newsflow tests")

    def response(
        self,
        url: str,
        page: str,
        day: date,
        status: str = "200 OK",
        content_type: str = "text/html; charset=utf-8",
    ) -> None:
        body = (PAGES / page).read_bytes() if page.endswith(".html") else page.encode()
        headers = StatusAndHeaders(status, [("Content-Type", content_type)], protocol="HTTP/1.1")
        self.record("response", url, body, headers, day)

    def record(
        self, kind: str, url: str, payload: bytes, http: StatusAndHeaders | None = None, day: date = DAY_1
    ) -> None:
        warc_headers = {"WARC-Date": f"{day.isoformat()}T08:00:00Z"}
        if kind == "revisit":
            warc_headers["WARC-Refers-To"] = "<urn:uuid:00000000-0000-0000-0000-000000000000>"
        record = self.writer.create_warc_record(
            url, kind, payload=io.BytesIO(payload), http_headers=http, warc_headers_dict=warc_headers
        )
        self.writer.write_record(record)

    def close(self, cut_bytes: int = 0) -> Path:
        data = self.buffer.getvalue()
        self.path.write_bytes(data[: len(data) - cut_bytes])
        return self.path


@pytest.fixture
def archives(tmp_path: Path) -> Path:
    """Two files: `a` spans two days with every kind of record; `b` ends in a truncated member."""
    folder = tmp_path / "warc"
    folder.mkdir()
    a = Archive(folder / "a.warc.gz")
    a.response("https://www.quotidien.fr/otan", "article_with_inline_teaser.html", DAY_1)
    a.record(
        "request", "https://www.quotidien.fr/otan", b"GET /otan HTTP/1.1\r\nHost: www.quotidien.fr\r\n\r\n"
    )
    a.record("metadata", "https://www.quotidien.fr/otan", b"fetchTimeMs: 120\r\n")
    a.response("https://www.quotidien.fr/logo.png", "\x89PNG not a page", DAY_1, content_type="image/png")
    a.response("https://www.quotidien.fr/gone", "<html>gone</html>", DAY_1, status="404 Not Found")
    a.record("revisit", "https://www.quotidien.fr/otan", b"", None, DAY_1)
    a.response("https://www.autre.fr/aside", "related_aside_and_link_list.html", DAY_2)
    a.response(
        "https://www.quotidien.fr/otan", "article_with_inline_teaser.html", DAY_2
    )  # the same URL, a day later
    a.close()
    b = Archive(folder / "b.warc.gz")
    b.response(
        "https://www.latin.fr/article",
        "latin1_article.html",
        DAY_1,
        content_type="text/html; charset=iso-8859-1",
    )
    b.response("https://www.latin.fr/cut", "body_inside_footer.html", DAY_1)
    b.close(cut_bytes=200)  # the last gzip member loses its end
    return tmp_path


def ingest(root: Path, day: date, options: str = "location: warc/") -> Settings:
    """Ingest `day` from one warc source over the archives, configured with `options`."""
    sources = root / "sources.yaml"
    sources.write_text(f"sources:\n  - {{name: archive, kind: warc, {options}}}\n", encoding="utf-8")
    settings = Settings(data_dir=root / "data", sources_path=sources)
    tasks.ingest_day(day, settings)
    return settings


def partition(settings: Settings, dataset: str, day: date, sql: str) -> list[tuple]:
    """`sql` over the day's partition of `dataset`, which it names `part`."""
    part = lake.read_partition(settings.lake_uri, dataset, day)  # noqa: F841 (DuckDB reads it by name)
    return duckdb.sql(sql).fetchall()


def test_html_responses_of_the_day_become_documents_and_the_rest_is_counted(archives: Path) -> None:
    settings = ingest(archives, DAY_1)
    articles = partition(
        settings, "articles", DAY_1, "select url, fetched_at::date, publisher from part order by url"
    )
    assert articles == [
        ("https://quotidien.example/monde/sommet-otan-kiev", DAY_1, "quotidien.example"),  # its canonical URL
        ("https://www.latin.fr/article", DAY_1, "latin.fr"),
    ]
    log = partition(
        settings, "fetch_log", DAY_1, "select url, role, error_class, message from part order by url"
    )
    assert [(Path(url).name, role, error) for url, role, error, _ in log] == [
        ("a.warc.gz", "warc", None),
        ("b.warc.gz", "warc", "truncated_warc"),  # kept what came before the damage
    ]
    assert log[0][3] == (
        "1 pages of 2024-07-10; skipped: metadata 1, not_html 1, other_day 2, request 1, revisit 1, "
        "status_404 1, warcinfo 1"
    )
    assert log[1][3] == "1 pages of 2024-07-10; skipped: truncated 1, warcinfo 1"
    latin = partition(settings, "articles", DAY_1, "select text from part where url like '%latin%'")[0][0]
    assert "é" in latin  # decoded with the charset the HTTP header gave


def test_each_day_gets_the_pages_archived_that_day_and_a_rerun_is_identical(archives: Path) -> None:
    settings = ingest(archives, DAY_2)
    urls = partition(settings, "articles", DAY_2, "select url from part order by url")
    assert urls == [("https://quotidien.example/monde/sommet-otan-kiev",), ("https://www.autre.fr/aside",)]
    first = lake.read_partition(settings.lake_uri, "articles", DAY_2).drop_columns(["fetched_at"])
    ingest(archives, DAY_2)
    assert lake.read_partition(settings.lake_uri, "articles", DAY_2).drop_columns(["fetched_at"]) == first


def test_domains_and_max_items_narrow_what_is_kept(archives: Path) -> None:
    settings = ingest(archives, DAY_1, "location: 'warc/*.warc.gz', domains: [latin.fr], max_items: 5")
    assert partition(settings, "articles", DAY_1, "select url from part") == [
        ("https://www.latin.fr/article",)
    ]
    settings = ingest(archives, DAY_1, "location: warc, max_items: 1")
    assert partition(settings, "articles", DAY_1, "select count(*) from part") == [(1,)]


def test_a_language_keeps_pages_declaring_it_and_domains_can_come_from_a_file(archives: Path) -> None:
    (archives / "publishers.txt").write_text(
        "# the allow-list\nquotidien.fr\nautre.fr  # English\n", encoding="utf-8"
    )
    settings = ingest(archives, DAY_2, "location: warc, language: fr, domains_file: publishers.txt")
    assert partition(settings, "articles", DAY_2, "select url from part") == [
        ("https://quotidien.example/monde/sommet-otan-kiev",)
    ]
    messages = partition(settings, "fetch_log", DAY_2, "select message from part order by url")
    assert "other_language 1" in messages[0][0]  # the English page of autre.fr


def test_domains_belong_to_warc_sources_only(tmp_path: Path) -> None:
    path = tmp_path / "sources.yaml"
    path.write_text("sources:\n  - {name: s, kind: folder, location: ., domains: [a.fr]}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="domains: only for kind warc"):
        load_sources(Settings(sources_path=path))
    path.write_text(
        "sources:\n  - {name: s, kind: warc, location: ., domains_file: nope.txt}\n", encoding="utf-8"
    )
    with pytest.raises(ConfigError, match="domains_file: .*nope.txt does not exist"):
        load_sources(Settings(sources_path=path))


def test_backfill_partitions_by_archive_day_and_rerunning_one_file_changes_nothing_else(
    archives: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = archives / "data"
    command = [
        "backfill",
        "--warc",
        str(archives / "warc" / "*.warc.gz"),
        "--from",
        "2024-07-01",
        "--to",
        "2024-07-31",
    ]
    assert main([*command, "--data-dir", str(data)]) == 0
    printed = capsys.readouterr().out
    assert "2024-07-10" in printed and "2024-07-11" in printed
    settings = Settings(data_dir=data)
    day_1 = lake.read_partition(settings.lake_uri, "articles", DAY_1)
    day_2 = lake.read_partition(settings.lake_uri, "articles", DAY_2)
    assert sorted(day_1.column("url").to_pylist()) == [
        "https://quotidien.example/monde/sommet-otan-kiev",
        "https://www.latin.fr/article",
    ]
    assert day_2.num_rows == 2 and set(day_1.column("source").to_pylist()) == {"archive"}
    day_2_file = lake.partition_file(settings.lake_uri, "articles", DAY_2)

    # b.warc.gz again, alone: its one day is re-derived from every file holding it, a's page included.
    assert (
        main(
            [
                "backfill",
                "--warc",
                str(archives / "warc" / "b.warc.gz"),
                "--from",
                "2024-07-10",
                "--to",
                "2024-07-10",
                "--data-dir",
                str(data),
            ]
        )
        == 0
    )
    assert lake.read_partition(settings.lake_uri, "articles", DAY_1) == day_1
    assert lake.partition_file(settings.lake_uri, "articles", DAY_2) == day_2_file  # b does not hold that day
    assert duckdb.connect(str(settings.warehouse_path), read_only=True).execute(
        "select count(*) from articles where source = 'archive'"
    ).fetchone() == (3,)  # the quotidien URL twice (two days): its latest version once


def test_backfill_says_when_there_is_nothing_to_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = str(tmp_path / "*.warc.gz")
    assert (
        main(
            [
                "backfill",
                "--warc",
                missing,
                "--from",
                "2024-07-01",
                "--to",
                "2024-07-02",
                "--data-dir",
                str(tmp_path),
            ]
        )
        == 1
    )
    assert f"no WARC file at {missing}" in capsys.readouterr().err


def test_backfill_dag_maps_days_and_shards_over_two_files(
    archives: Path, airflow_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pendulum
    from airflow.models import DagBag
    from airflow.utils.state import DagRunState

    from conftest import PROJECT_DIR

    monkeypatch.setenv("NEWSFLOW_DATA_DIR", str(archives / "data"))
    dag = DagBag(dag_folder=str(PROJECT_DIR / "dags" / "news_backfill.py")).dags["news_backfill"]
    conf = {"warc": str(archives / "warc" / "*.warc.gz"), "date_from": "2024-07-01", "date_to": "2024-07-31"}
    run = dag.test(logical_date=pendulum.datetime(2024, 8, 1, tz="UTC"), run_conf=conf)
    assert run.state == DagRunState.SUCCESS
    collected = sorted(
        ti.rendered_map_index for ti in run.get_task_instances() if ti.task_id == "collect_day"
    )
    assert collected == ["2024-07-10", "2024-07-11"]
    assert len([ti for ti in run.get_task_instances() if ti.task_id == "process_shard"]) == 2
    counts = run.get_task_instance("publish_days").xcom_pull(task_ids="publish_days")
    assert {day: c["clean"] for day, c in counts.items()} == {"2024-07-10": 2, "2024-07-11": 2}
    settings = Settings(data_dir=archives / "data")
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        assert con.execute(
            "select ingest_date, count(*) from lake_articles group by 1 order by 1"
        ).fetchall() == [
            (DAY_1, 2),
            (DAY_2, 2),
        ]
