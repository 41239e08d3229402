"""Reading others' WARC and ARC files (the `warc` source kind): which records become documents, on
which day, what is skipped and counted, and what a damaged file or record costs. Archives are written
here with warcio from the test pages, or are real files from warcio's test data (tests/fixtures/warc/);
nothing is downloaded."""

from __future__ import annotations

import gzip
import io
import shutil
import tracemalloc
import zlib
from collections import Counter
from datetime import date
from pathlib import Path

import brotli
import duckdb
import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from newsflow import tasks
from newsflow.cli import main
from newsflow.ingest.sources import ConfigError, load_sources
from newsflow.ingest.warc import BadRecord, Page, read_archive, warc_files
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
        self,
        kind: str,
        url: str,
        payload: bytes,
        http: StatusAndHeaders | None = None,
        day: date = DAY_1,
        warc_date: str | None = None,
    ) -> None:
        warc_headers = {"WARC-Date": warc_date or f"{day.isoformat()}T08:00:00Z"}
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
        ("https://www.latin.fr/article", DAY_1, "latin.fr"),
        ("https://www.quotidien.fr/otan", DAY_1, "quotidien.example"),  # published under its canonical URL
    ]
    log = partition(
        settings, "fetch_log", DAY_1, "select url, role, error_class, message from part order by url"
    )
    assert [(Path(url).name, role, error) for url, role, error, _ in log] == [
        ("a.warc.gz", "warc", None),
        ("b.warc.gz", "warc", "truncated_warc"),  # kept what came before the damage
    ]
    assert log[0][3] == (
        "1 pages of 2024-07-10; the file held html_response 3, metadata 1, not_html 1, request 1, "
        "revisit 1, status_404 1, warcinfo 1; not kept: other_day 2"
    )
    assert log[1][3].startswith(
        "1 pages of 2024-07-10; the file held html_response 1, truncated 1, warcinfo 1; not kept: nothing; "
        "damaged at byte "  # where the cut member starts: its size varies with its record ids
    )
    assert log[1][3].endswith("bytes short of its Content-Length: the file ends inside it")
    latin = partition(settings, "articles", DAY_1, "select text from part where url like '%latin%'")[0][0]
    assert "é" in latin  # decoded with the charset the HTTP header gave


def test_each_day_gets_the_pages_archived_that_day_and_a_rerun_is_identical(archives: Path) -> None:
    settings = ingest(archives, DAY_2)
    urls = partition(settings, "articles", DAY_2, "select url from part order by url")
    assert urls == [("https://www.autre.fr/aside",), ("https://www.quotidien.fr/otan",)]
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
        ("https://www.quotidien.fr/otan",)
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
        "https://www.latin.fr/article",
        "https://www.quotidien.fr/otan",
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


REAL = FIXTURES_DIR / "warc"
PAGE = (PAGES / "article_with_inline_teaser.html").read_bytes()
PHRASE = "Stoltenberg"  # a word of that page's text


def stored(url: str, body: bytes, extra: list[tuple[str, str]]) -> tuple[str, bytes, StatusAndHeaders]:
    headers = [("Content-Type", "text/html; charset=utf-8"), *extra]
    return url, body, StatusAndHeaders("200 OK", headers, protocol="HTTP/1.1")


def rows(settings: Settings, day: date, where: str = "true") -> list[tuple]:
    """(url, error_class, message) of the day's fetch log, in order."""
    return partition(settings, "fetch_log", day, f"select url, error_class, message from part where {where}")


def test_stored_bodies_are_decoded_and_de_chunked_as_live_fetching_does(tmp_path: Path) -> None:
    chunked = b"".join(
        b"%x\r\n%s\r\n" % (len(c), c) for c in (PAGE[i : i + 100] for i in range(0, len(PAGE), 100))
    )
    deflated = zlib.compressobj(wbits=zlib.MAX_WBITS)
    pages = [
        stored("https://www.quotidien.fr/gzip", gzip.compress(PAGE), [("Content-Encoding", "gzip")]),
        stored("https://www.quotidien.fr/br", brotli.compress(PAGE), [("Content-Encoding", "br")]),
        stored(
            "https://www.quotidien.fr/deflate",
            deflated.compress(PAGE) + deflated.flush(),
            [("Content-Encoding", "deflate")],
        ),
        stored(
            "https://www.quotidien.fr/chunked", chunked + b"0\r\n\r\n", [("Transfer-Encoding", "chunked")]
        ),
        stored("https://www.quotidien.fr/lies", b"not gzip at all", [("Content-Encoding", "gzip")]),
    ]
    (tmp_path / "warc").mkdir()
    archive = Archive(tmp_path / "warc" / "encoded.warc.gz")
    for url, body, http in pages:
        archive.record("response", url, body, http)
    archive.close()
    settings = ingest(tmp_path, DAY_1)
    texts = dict(partition(settings, "articles", DAY_1, "select url, text from part"))
    assert sorted(texts) == [
        f"https://www.quotidien.fr/{name}" for name in ("br", "chunked", "deflate", "gzip")
    ]
    assert all(PHRASE in text and "\r\n64\r\n" not in text for text in texts.values())
    lies = rows(settings, DAY_1, "error_class = 'decoding_error'")
    assert [(url, error) for url, error, _ in lies] == [("https://www.quotidien.fr/lies", "decoding_error")]


def test_a_bad_record_or_file_costs_only_itself_and_leaves_a_row(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "warc"
    folder.mkdir()
    shutil.copy(REAL / "example-trunc.warc", folder)  # its response is longer than its Content-Length
    bad = Archive(folder / "dates.warc.gz")
    bad.response("https://www.quotidien.fr/otan", "article_with_inline_teaser.html", DAY_1)
    bad.record(
        "response",
        "https://www.quotidien.fr/clueweb",
        PAGE,
        stored("", PAGE, [])[2],
        warc_date="2008-10-294T05:21:46-0700",
    )
    bad.response(
        "https://www.latin.fr/article",
        "latin1_article.html",
        DAY_1,
        content_type="text/html; charset=iso-8859-1",
    )
    bad.close()
    garbage = (folder / "dates.warc.gz").read_bytes()
    (folder / "garbage.warc").write_bytes(b"this is no archive\n" * 50)  # damaged before its first page
    (folder / "junk_between.warc.gz").write_bytes(garbage[:40] + b"\x00junk\x00" + garbage[40:])
    assert (
        main(
            [
                "backfill",
                "--warc",
                str(folder),
                "--from",
                "2024-07-01",
                "--to",
                "2024-07-31",
                "--data-dir",
                str(tmp_path / "data"),
            ]
        )
        == 0
    )
    settings = Settings(data_dir=tmp_path / "data")
    urls = partition(settings, "articles", DAY_1, "select distinct url from part order by url")
    assert urls == [("https://www.latin.fr/article",), ("https://www.quotidien.fr/otan",)]
    damaged = sorted(
        (url.replace(str(folder.resolve()) + "/", ""), error, message.split(": ", 1)[1])
        for url, error, message in rows(settings, DAY_1, "error_class is not null")
    )
    date_row = (
        "https://www.quotidien.fr/clueweb",
        "damaged_record",
        "unparseable WARC-Date '2008-10-294T05:21:46-0700'",
    )
    assert damaged[:2] == [date_row, date_row]  # from both files holding the day
    assert damaged[2][:2] == ("junk_between.warc.gz@0", "damaged_record")  # its first gzip member
    assert damaged[2][2].startswith("unreadable record: ") and "; read on from byte " in damaged[2][2]
    # the files that hold no page of any day are never collected: what they held is logged
    logged = [
        record.getMessage().split("/")[-1]
        for record in caplog.records
        if "pages; held" in record.getMessage()
    ]
    assert "example-trunc.warc: 0 pages; held damaged 1, request 1, warcinfo 2" in logged
    assert "garbage.warc: 0 pages; held truncated 1" in logged


def test_arc_files_are_read_by_name_and_in_a_glob(tmp_path: Path) -> None:
    shutil.copy(REAL / "example.arc.gz", tmp_path)
    for location in (str(tmp_path / "example.arc.gz"), str(tmp_path / "*.arc*")):
        held: Counter[str] = Counter()
        pages = [
            item for item in read_archive(warc_files(location)[0], 5_000_000, held) if isinstance(item, Page)
        ]
        assert [page.result.url for page in pages] == ["http://example.com/"]
        assert b"Example Domain" in pages[0].result.body
        assert held == Counter({"html_response": 1, "warcinfo": 1})


def test_html_resource_records_are_pages_and_every_file_says_what_it_held(tmp_path: Path) -> None:
    folder, day = tmp_path / "warc", date(2017, 4, 29)  # the day the real resource record was archived
    folder.mkdir()
    shutil.copy(REAL / "example-resource.warc.gz", folder)
    revisits = Archive(folder / "revisits.warc.gz")
    revisits.record("revisit", "https://www.quotidien.fr/otan", b"", None, day)
    revisits.close()
    settings = ingest(tmp_path, day)
    read = partition(settings, "quarantine", day, "select url, source_path, stage from part")
    assert read == [("http://example.com/", "example-resource.warc.gz@802", "page_type")]  # a site's home
    messages = [message for _, _, message in rows(settings, day)]
    assert messages == [
        "1 pages of 2017-04-29; the file held html_resource 1, warcinfo 2; not kept: nothing",
        "0 pages of 2017-04-29; the file held revisit 1, warcinfo 1; not kept: nothing",
    ]


def test_url_is_the_target_uri_the_canonical_url_has_its_column_and_no_uri_shares_no_id(
    tmp_path: Path,
) -> None:
    (tmp_path / "warc").mkdir()
    archive = Archive(tmp_path / "warc" / "a.warc.gz")
    archive.response("https://www.quotidien.fr/otan", "article_with_inline_teaser.html", DAY_1)
    archive.response("", "latin1_article.html", DAY_1, content_type="text/html; charset=iso-8859-1")
    archive.response("", "related_aside_and_link_list.html", DAY_1)
    archive.close()
    settings = ingest(tmp_path, DAY_1)
    articles = partition(
        settings, "articles", DAY_1, "select article_id, url, canonical_url from part order by url desc"
    )
    assert articles[0][1:] == (
        "https://www.quotidien.fr/otan",
        "https://quotidien.example/monde/sommet-otan-kiev",
    )
    assert len({article_id for article_id, _, _ in articles}) == 3


def test_a_body_over_the_limit_is_refused_while_it_is_read(tmp_path: Path) -> None:
    huge = b"<html><body>" + b"<p>la meme phrase encore</p>" * 2_200_000 + b"</body></html>"  # about 60 MB
    archive = Archive(tmp_path / "huge.warc.gz")
    archive.record("response", "https://www.quotidien.fr/huge", huge, stored("", huge, [])[2])
    archive.close()
    del huge
    assert archive.path.stat().st_size < 1_000_000
    tracemalloc.start()
    items = list(read_archive(archive.path, 5_000_000, Counter()))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert [(item.url, item.error_class) for item in items if isinstance(item, BadRecord)] == [
        ("https://www.quotidien.fr/huge", "body_too_large")
    ]
    assert peak < 30_000_000
