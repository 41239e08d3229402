"""Fetching from a real HTTP server on 127.0.0.1: every URL ends as an article or a fetch_log row
with a clear reason; feeds, sitemaps, robots.txt, retries, limits, archive replay, conditional GET."""

from __future__ import annotations

import email.utils
import gzip
import ipaddress
import ssl
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import httpx
import pendulum
import pytest
from warcio.archiveiterator import ArchiveIterator

from newsflow import tasks
from newsflow.day import steps
from newsflow.ingest.addresses import EVERY_NETWORK, CheckedTransport, non_public_kind
from newsflow.ingest.archive import WARC_FILE, archive_dir, read_warc
from newsflow.ingest.collect import collect_source
from newsflow.ingest.fetch import Fetcher, normalise_url
from newsflow.ingest.sources import SourceSpec, load_sources
from newsflow.schema import FetchLogEntry, to_table
from newsflow.settings import Settings
from newsflow.warehouse.build import build_warehouse

import webserver
from conftest import PROJECT_DIR, SEEDS_DIR
from webserver import article_page, fail_then, html, slow, with_etag

DAY = date(2024, 7, 10)
# The test servers listen on 127.0.0.1: their sources allow private addresses, as
# `allow_private_addresses: true` does in sources.yaml.
LOCAL = EVERY_NETWORK

RSS = """<?xml version="1.0"?><rss version="2.0"><channel><title>Le Quotidien</title>
<item><title>A</title><link>{base}/news/a.html?utm_source=rss&amp;utm_medium=feed</link>
<pubDate>Wed, 10 Jul 2024 08:00:00 GMT</pubDate></item>
<item><title>A again</title><link>{base}/news/a.html#comments</link></item>
<item><title>B</title><link>{base}/news/b.html</link></item>
<item><title>Secret</title><link>{base}/private/secret.html</link></item>
<item><title>Gone</title><link>{base}/news/gone.html</link></item>
</channel></rss>"""
ATOM = """<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Atom</title>
<entry><title>C</title><link href="{base}/news/c.html"/><updated>2024-07-09T10:00:00Z</updated></entry></feed>"""
SITEMAP_INDEX = """<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>{base}/sitemap_news.xml</loc></sitemap></sitemapindex>"""
NEWS_SITEMAP = """<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
 xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
<url><loc>{base}/news/d.html</loc><news:news><news:publication_date>2024-07-10</news:publication_date>
<news:title>D</news:title></news:news></url></urlset>"""


@pytest.fixture(scope="module")
def server():
    server = webserver.start()
    base = server.base
    page = html(article_page("Les ministres de la Défense réunis à Bruxelles"))
    server.routes.update(
        {
            "/robots.txt": (200, {"Content-Type": "text/plain"}, b"User-agent: *\nDisallow: /private/\n"),
            "/news/a.html": html(article_page("Sommet de l'OTAN : premier article")),
            "/news/b.html": html(
                article_page("Sommet de l'OTAN : deuxième article", "Kiev attend des réponses.")
            ),
            "/news/c.html": html(article_page("Sommet de l'OTAN : troisième article", "Moscou proteste.")),
            "/news/d.html": html(
                article_page("Sommet de l'OTAN : quatrième article", "Pékin appelle au calme.")
            ),
            "/news/gzipped.html": (
                200,
                {"Content-Type": "text/html; charset=utf-8", "Content-Encoding": "gzip"},
                gzip.compress(article_page("Page compressée par le serveur", "Le contenu arrive en gzip.")),
            ),
            "/news/latin1.html": html(
                article_page("Défense européenne à Bruxelles", charset="iso-8859-1"), "text/html"
            ),
            "/private/secret.html": page,
            "/flaky.html": fail_then([500], page),
            "/busy.html": fail_then([429], page, {"Retry-After": "1"}),
            "/slow.html": slow(2.0, page),
            "/loop1": (302, {"Location": "/loop2"}, b""),
            "/loop2": (302, {"Location": "/loop1"}, b""),
            "/news/report.html": html(b"%PDF-1.4 not a page", "application/pdf"),
            "/news/photo.html": html(b"\xff\xd8\xff\xe0 jpeg", "image/jpeg"),
            "/huge.html": html(b"<html><body><p>" + b"x" * 60_000 + b"</p></body></html>"),
            "/huge-unannounced.html": (
                200,
                {"Content-Type": "text/html", "Content-Length": None},
                b"<html><body><p>" + b"y" * 60_000 + b"</p></body></html>",
            ),
            "/feed.rss": with_etag('"v1"', html(RSS.format(base=base).encode(), "application/rss+xml")),
            "/atom.xml": html(ATOM.format(base=base).encode(), "application/atom+xml"),
            "/broken.rss": html(b"this is <<< not a feed", "application/rss+xml"),
            "/sitemap_index.xml": html(SITEMAP_INDEX.format(base=base).encode(), "application/xml"),
            "/sitemap_news.xml": html(NEWS_SITEMAP.format(base=base).encode(), "application/xml"),
        }
    )
    yield server
    server.shutdown()


def fast_settings(tmp_path: Path, **changes: object) -> Settings:
    """Real limits, scaled down so the failure cases take a second, not a minute."""
    values = {
        "data_dir": tmp_path / "data",
        "fetch_retries": 2,
        "fetch_backoff_s": 0.05,
        "host_delay_s": 0.0,
        "connect_timeout_s": 1.0,
        "read_timeout_s": 0.5,
        "max_body_bytes": 20_000,
        "max_retry_after_s": 5.0,
    }
    return Settings(**{**values, **changes})  # type: ignore[arg-type]


def outcomes(collected) -> dict[str, tuple[int | None, str | None]]:  # type: ignore[no-untyped-def]
    return {
        row.url.rsplit("/", 1)[-1]: (row.status, row.error_class)
        for row in collected.log
        if row.role == "article"
    }


def test_every_failure_mode_ends_as_a_logged_reason(server, tmp_path: Path) -> None:
    paths = [
        "/news/a.html",
        "/news/gzipped.html",
        "/missing.html",
        "/flaky.html",
        "/busy.html",
        "/slow.html",
        "/loop1",
        "/news/report.html",
        "/news/photo.html",
        "/huge.html",
        "/huge-unannounced.html",
        "/news/latin1.html",
        "/private/secret.html",
    ]
    closed_port = "http://127.0.0.1:1/down.html"  # nothing listens there: connection refused
    source = SourceSpec(
        "web", "urls", "", urls=(*(server.url(p) for p in paths), closed_port), allow_private_addresses=LOCAL
    )
    started = time.monotonic()
    collected = collect_source(source, DAY, fast_settings(tmp_path))
    assert outcomes(collected) == {
        "a.html": (200, None),
        "gzipped.html": (200, None),  # Content-Encoding: gzip, decoded by httpx
        "missing.html": (404, "http_404"),
        "flaky.html": (200, None),  # 500, then retried
        "busy.html": (200, None),  # 429 with Retry-After: 1, then retried
        "slow.html": (None, "timeout"),
        "loop1": (302, "too_many_redirects"),
        "report.html": (200, "unsupported_content_type"),
        "photo.html": (200, "unsupported_content_type"),
        "huge.html": (200, "body_too_large"),  # refused on its Content-Length
        "huge-unannounced.html": (200, "body_too_large"),  # cut off while streaming
        "latin1.html": (200, None),
        "secret.html": (None, "robots_disallowed"),
        "down.html": (None, "robots_unavailable"),  # an outage, not a decision
    }
    assert server.hits["/flaky.html"] == 2 and server.hits["/busy.html"] == 2
    assert server.hits["/slow.html"] == 3  # the first try and two retries
    assert server.hits["/private/secret.html"] == 0
    assert time.monotonic() - started >= 1.0  # Retry-After was honoured
    by_path = {d.url.rsplit("/", 1)[-1]: d for d in collected.documents}
    assert sorted(by_path) == ["a.html", "busy.html", "flaky.html", "gzipped.html", "latin1.html"]
    assert "Le contenu arrive en gzip." in by_path["gzipped.html"].raw_text
    # The archive holds the decoded body, so it must not claim a gzip encoding other WARC tools would undo.
    with (archive_dir(tmp_path / "data" / "raw", "web", DAY) / WARC_FILE).open("rb") as warc:
        encodings = {
            record.rec_headers.get_header("WARC-Target-URI"): record.http_headers.get_header(
                "Content-Encoding"
            )
            for record in ArchiveIterator(warc)
            if record.rec_type == "response"
        }
    assert encodings[server.url("/news/gzipped.html")] is None
    assert by_path["latin1.html"].encoding == "iso8859-1"
    # A re-run replays the archive: the refused responses in it (PDF, image, cut-off body) stay refused.
    replayed = collect_source(source, DAY, fast_settings(tmp_path))
    assert replayed.replayed and [(d.url, d.raw_text) for d in replayed.documents] == [
        (d.url, d.raw_text) for d in collected.documents
    ]
    assert "réunis jeudi à Bruxelles" in by_path["latin1.html"].raw_text
    assert server.headers_of("/news/a.html")[0]["User-Agent"] == Settings().user_agent
    # 8 of the 13 attempted article URLs failed (a robots.txt refusal is a decision, not an attempt).
    assert steps.fetch_failures(to_table(collected.log, FetchLogEntry))[0] == pytest.approx(8 / 13)
    (robots_row,) = [row for row in collected.log if row.role == "robots" and "127.0.0.1:1/" in row.url]
    assert robots_row.error_class == "connection_error"


def test_requests_to_one_host_are_spaced_by_the_host_delay(server, tmp_path: Path) -> None:
    waits: list[float] = []
    # A stopped clock: no time passes between requests, so each one waits the whole delay.
    with Fetcher(  # no retries: only the spacing of requests is counted
        fast_settings(tmp_path, host_delay_s=0.3, fetch_retries=0),
        sleep=waits.append,
        clock=lambda: 100.0,
        allow_private_addresses=LOCAL,
    ) as fetcher:
        fetcher.get(server.url("/news/a.html"), "article")  # robots.txt first, then the page
        fetcher.get(server.url("/news/b.html"), "article")
        fetcher.get("http://localhost:1/other-host.html", "article")  # another host: no wait for it
    assert waits == [0.3, 0.3]


def test_feeds_sitemaps_duplicates_robots_and_archive(server, tmp_path: Path) -> None:
    settings = fast_settings(tmp_path)
    rss = collect_source(
        SourceSpec("quotidien", "rss", server.url("/feed.rss"), allow_private_addresses=LOCAL), DAY, settings
    )
    rows = [
        (row.url.replace(server.base, ""), row.status, row.error_class)
        for row in rss.log
        if row.role == "article"
    ]
    assert sorted(rows, key=str) == sorted(
        [
            ("/news/a.html", 200, None),  # fetched once, under its normalised URL
            ("/news/a.html", None, "duplicate_url"),  # the #comments copy; the utm_* one was the first
            ("/news/b.html", 200, None),
            ("/private/secret.html", None, "robots_disallowed"),
            ("/news/gone.html", 404, "http_404"),
        ],
        key=str,
    )
    assert [d.url for d in rss.documents] == [server.url("/news/a.html"), server.url("/news/b.html")]

    atom = collect_source(
        SourceSpec("atom", "rss", server.url("/atom.xml"), allow_private_addresses=LOCAL), DAY, settings
    )
    assert [d.url for d in atom.documents] == [server.url("/news/c.html")]
    sitemap = collect_source(
        SourceSpec("sitemaps", "sitemap", server.url("/sitemap_index.xml"), allow_private_addresses=LOCAL),
        DAY,
        settings,
    )
    assert [d.url for d in sitemap.documents] == [server.url("/news/d.html")]
    assert {row.role for row in sitemap.log} == {"sitemap", "article", "robots"}

    # Every response is in the WARC archive, feed included, and can be read back.
    archived = read_warc(archive_dir(settings.archive_dir, "quotidien", DAY) / WARC_FILE)
    assert {(r.role, r.status) for r in archived} >= {
        ("feed", 200),
        ("article", 200),
        ("article", 404),
        ("robots", 200),
    }
    assert next(r for r in archived if r.url == server.url("/news/b.html")).body == article_page(
        "Sommet de l'OTAN : deuxième article", "Kiev attend des réponses."
    )


def test_malformed_feed_is_a_logged_error(server, tmp_path: Path) -> None:
    collected = collect_source(
        SourceSpec("broken", "rss", server.url("/broken.rss"), allow_private_addresses=LOCAL),
        DAY,
        fast_settings(tmp_path),
    )
    assert collected.documents == []
    (feed_row,) = [row for row in collected.log if row.role == "feed"]
    assert (feed_row.status, feed_row.error_class) == (200, "malformed_feed")


def test_rerun_replays_the_archive_and_the_next_day_is_incremental(server, tmp_path: Path) -> None:
    settings = fast_settings(tmp_path)
    source = SourceSpec("quotidien", "rss", server.url("/feed.rss"), allow_private_addresses=LOCAL)
    first = collect_source(source, DAY, settings)
    first.mark_seen()  # as collect_one does once the documents are staged
    hits_after_first = sum(server.hits.values())

    again = collect_source(source, DAY, settings)  # same day: replay, no network
    assert again.replayed and sum(server.hits.values()) == hits_after_first
    assert [(d.url, d.raw_text) for d in again.documents] == [(d.url, d.raw_text) for d in first.documents]
    assert again.log == first.log

    next_day = collect_source(source, date(2024, 7, 11), settings)
    assert server.headers_of("/feed.rss")[-1].get("If-None-Match") == '"v1"'
    (feed_row,) = [row for row in next_day.log if row.role == "feed"]
    assert (feed_row.status, feed_row.error_class, feed_row.message) == (304, None, "not modified")
    assert next_day.documents == []


def test_seen_urls_are_skipped_on_a_later_day(server, tmp_path: Path) -> None:
    settings = fast_settings(tmp_path)
    source = SourceSpec(
        "web",
        "urls",
        "",
        urls=(server.url("/news/a.html"), server.url("/news/b.html")),
        allow_private_addresses=LOCAL,
    )
    first = collect_source(source, DAY, settings)
    crashed_before_staging = collect_source(  # nothing was marked seen yet: a.html is fetched again
        SourceSpec("web", "urls", "", urls=(server.url("/news/a.html"),), allow_private_addresses=LOCAL),
        date(2024, 7, 11),
        settings,
    )
    assert outcomes(crashed_before_staging) == {"a.html": (200, None)}
    first.mark_seen()  # the caller marks the URLs seen once the documents are staged
    later = collect_source(
        SourceSpec(
            "web",
            "urls",
            "",
            urls=(server.url("/news/a.html"), server.url("/news/c.html")),
            allow_private_addresses=LOCAL,
        ),
        date(2024, 7, 12),
        settings,
    )
    assert outcomes(later) == {"a.html": (None, "already_seen"), "c.html": (200, None)}


def test_offline_reextract_without_an_archive_fetches_nothing(server, tmp_path: Path) -> None:
    before = sum(server.hits.values())
    collected = collect_source(
        SourceSpec("web", "urls", "", urls=(server.url("/news/a.html"),), allow_private_addresses=LOCAL),
        DAY,
        fast_settings(tmp_path),
        offline=True,
    )
    assert collected.documents == [] and sum(server.hits.values()) == before


def test_url_normalisation_drops_tracking_and_fragments() -> None:
    assert (
        normalise_url("https://Example.org/a?utm_source=x&id=3&utm_medium=y#top")
        == "https://example.org/a?id=3"
    )


def test_sources_file_is_validated(tmp_path: Path) -> None:
    path = tmp_path / "sources.yaml"
    path.write_text("sources:\n  - {name: Bad Name, kind: rss, location: x}\n")
    with pytest.raises(ValueError, match="name: String should match pattern"):
        load_sources(Settings(sources_path=path))
    path.write_text("sources:\n  - {name: a, kind: ftp, location: x}\n")
    with pytest.raises(
        ValueError, match="kind: Input should be 'folder', 'urls', 'rss', 'sitemap' or 'warc'"
    ):
        load_sources(Settings(sources_path=path))
    path.write_text(
        "sources:\n  - {name: local, kind: folder, location: ../seeds}\n  - {name: list, kind: urls, location: urls.txt}\n"
    )
    with pytest.raises(ValueError, match=f"source 'list': location: {tmp_path / 'urls.txt'} is not a file"):
        load_sources(Settings(sources_path=path))
    (tmp_path / "urls.txt").write_text("https://www.example.org/a.html\n")
    folder, urls = load_sources(Settings(sources_path=path))
    assert folder.location == str((tmp_path.parent / "seeds").resolve())
    assert urls.location == str(tmp_path / "urls.txt")
    assert urls.allow_private_addresses == () and folder.allow_private_addresses == ()  # public only
    example = load_sources(Settings(sources_path=PROJECT_DIR / "sources.example.yaml"))
    assert [(s.name, s.kind) for s in example] == [
        ("seeds", "folder"),
        ("example-feed", "rss"),
        ("example-sitemap", "sitemap"),
        ("hand-picked", "urls"),
        ("cc-news", "warc"),
    ]
    assert example[0].location == str(SEEDS_DIR)
    assert example[-1].location == str(PROJECT_DIR / "archives" / "CC-NEWS-2024*.warc.gz")  # globs stay globs
    assert example[-1].domains == ("lemonde.fr", "lefigaro.fr")


def test_a_run_with_too_many_failed_fetches_publishes_then_fails(
    server, tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    from newsflow.cli import main

    urls = tmp_path / "urls.txt"
    urls.write_text(
        "\n".join(server.url(p) for p in ("/news/a.html", "/missing.html", "/loop1", "/news/report.html"))
    )
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        "sources:\n  - {name: web, kind: urls, location: urls.txt, allow_private_addresses: true}\n"
    )
    monkeypatch.setenv("NEWSFLOW_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("NEWSFLOW_HOST_DELAY_S", "0")
    assert main(["ingest", "--sources", str(sources), "--date", "2024-07-10"]) == 1
    printed = capsys.readouterr()
    assert "75% of article fetches failed on 2024-07-10 (limit 50%)" in printed.err
    assert "fetch failures" in printed.out and "too_many_redirects" in printed.out
    with duckdb.connect(str(tmp_path / "data" / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from articles").fetchone() == (1,)  # published all the same
        assert con.execute("select count(*) from fetch_log where is_failure").fetchone() == (3,)
    # Re-extracting the archived day needs no network and gives the same articles.
    before = sum(server.hits.values())
    assert main(["reextract", "--sources", str(sources), "--date", "2024-07-10"]) == 1
    assert sum(server.hits.values()) == before


def test_dag_run_fetches_feeds_and_sitemaps_beside_the_seeds(
    server, airflow_db, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from airflow.models import DagBag
    from airflow.utils.state import DagRunState

    sources = tmp_path / "sources.yaml"
    sources.write_text(
        f"sources:\n"
        f"  - {{name: seeds, kind: folder, location: {SEEDS_DIR}, language: fr}}\n"
        f"  - {{name: quotidien, kind: rss, location: '{server.url('/feed.rss')}', language: fr, allow_private_addresses: true}}\n"
        f"  - {{name: news-sitemap, kind: sitemap, location: '{server.url('/sitemap_index.xml')}', allow_private_addresses: true}}\n"
    )
    for key, value in {
        "DATA_DIR": tmp_path / "data",
        "SOURCES_PATH": sources,
        "HOST_DELAY_S": 0,
        "FETCH_RETRIES": 1,
        "FETCH_BACKOFF_S": 0.05,
    }.items():
        monkeypatch.setenv(f"NEWSFLOW_{key}", str(value))
    dag = DagBag(dag_folder=str(Path(__file__).resolve().parent.parent / "dags")).dags["news_ingest"]
    run = dag.test(
        logical_date=pendulum.datetime(2024, 7, 12, tz="UTC"), run_conf={"partition_date": "2024-07-12"}
    )
    assert run.state == DagRunState.SUCCESS

    with duckdb.connect(str(tmp_path / "data" / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("select source, count(*) from articles group by all order by all").fetchall() == [
            ("news-sitemap", 1),
            ("quotidien", 2),
            ("seeds", 5),
        ]
        failures = con.execute(
            "select error_class, count(*) from fetch_log where is_failure group by all"
        ).fetchall()
        assert failures == [("http_404", 1)]
        assert con.execute(
            "select count(*) from fetch_log where error_class = 'robots_disallowed'"
        ).fetchone() == (1,)
        # .txt files declare no language: the folder source's configured `language: fr` stands in.
        assert con.execute(
            "select distinct html_language from articles where source = 'seeds'"
        ).fetchall() == [("fr",)]
    assert steps.check_fetch_health(date(2024, 7, 12), Settings.from_env()) == pytest.approx(1 / 4)


def test_dag_run_fails_after_publishing_when_most_fetches_fail(
    server, airflow_db, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from airflow.models import DagBag
    from airflow.utils.state import DagRunState, TaskInstanceState

    urls = tmp_path / "urls.txt"
    urls.write_text("\n".join(server.url(p) for p in ("/news/b.html", "/missing.html", "/news/photo.html")))
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        "sources:\n  - {name: web, kind: urls, location: urls.txt, allow_private_addresses: true}\n"
    )
    for key, value in {"DATA_DIR": tmp_path / "data", "SOURCES_PATH": sources, "HOST_DELAY_S": 0}.items():
        monkeypatch.setenv(f"NEWSFLOW_{key}", str(value))
    dag = DagBag(dag_folder=str(PROJECT_DIR / "dags")).dags["news_ingest"]
    run = dag.test(
        logical_date=pendulum.datetime(2024, 7, 13, tz="UTC"), run_conf={"partition_date": "2024-07-13"}
    )

    assert run.state == DagRunState.FAILED
    states = {ti.task_id: ti.state for ti in run.get_task_instances()}
    assert states["check_fetch_health"] == TaskInstanceState.FAILED
    assert states["publish"] == states["build_warehouse"] == TaskInstanceState.SUCCESS
    with duckdb.connect(str(tmp_path / "data" / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from articles").fetchone() == (1,)


def live_feed(base: str, updated: str) -> webserver.Response:
    feed = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Live</title>'
        f"<item><title>Live</title><link>{base}/news/live.html</link>"
        f"<pubDate>{updated}</pubDate></item>"
        f"<item><title>Tagged</title><link>{base}/news/tagged.html</link>"
        f"<pubDate>{updated}</pubDate></item></channel></rss>"
    )
    return html(feed.encode(), "application/rss+xml")


def test_only_new_or_changed_articles_are_fetched_again(server, tmp_path: Path) -> None:
    settings = fast_settings(tmp_path, sources_path=tmp_path / "sources.yaml")
    (tmp_path / "sources.yaml").write_text(
        f"sources:\n  - {{name: live, kind: rss, location: '{server.url('/live.rss')}', allow_private_addresses: true}}\n"
    )
    first_text = article_page("Le direct du sommet de l'OTAN", "Premières déclarations à Washington.")
    server.routes["/news/live.html"] = html(first_text)
    server.routes["/news/tagged.html"] = with_etag(
        '"t1"', html(article_page("Page avec ETag", "Texte stable."))
    )

    def day_run(day: date, updated: str) -> dict[str, tuple[int | None, str | None]]:
        server.routes["/live.rss"] = live_feed(server.base, updated)
        tasks.ingest_day(day, settings)
        build_warehouse(settings)
        return {
            row.url.rsplit("/", 1)[-1]: (row.status, row.error_class)
            for row in collect_source(load_sources(settings)[0], day, settings).log  # replayed: same log
            if row.role == "article"
        }

    assert day_run(date(2024, 7, 10), "Wed, 10 Jul 2024 08:00:00 GMT") == {
        "live.html": (200, None),
        "tagged.html": (200, None),
    }
    # Listed again, not updated since: not fetched.
    assert day_run(date(2024, 7, 11), "Wed, 10 Jul 2024 08:00:00 GMT") == {
        "live.html": (None, "already_seen"),
        "tagged.html": (None, "already_seen"),
    }
    # Listed as updated, same body: fetched conditionally, kept out; the ETag page answers 304.
    assert day_run(date(2024, 7, 12), "Fri, 12 Jul 2024 08:00:00 GMT") == {
        "live.html": (200, "unchanged"),
        "tagged.html": (304, None),
    }
    assert server.headers_of("/news/tagged.html")[-1].get("If-None-Match") == '"t1"'
    # Listed as updated, new body: a new version of the same article.
    server.routes["/news/live.html"] = html(
        article_page("Le direct du sommet de l'OTAN", "Pékin appelle au calme.")
    )
    assert day_run(date(2024, 7, 13), "Sat, 13 Jul 2024 08:00:00 GMT") == {
        "live.html": (200, None),
        "tagged.html": (304, None),  # listed as updated again: asked again, still not modified
    }
    # The 304s kept the stored content hash: the same page without its ETag is "unchanged".
    server.routes["/news/tagged.html"] = html(article_page("Page avec ETag", "Texte stable."))
    assert day_run(date(2024, 7, 14), "Sun, 14 Jul 2024 08:00:00 GMT") == {
        "live.html": (200, "unchanged"),
        "tagged.html": (200, "unchanged"),
    }
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        row = con.execute(
            "select ingest_date, first_ingest_date, article_date, text like '%Pékin appelle au calme%' "
            "from articles where url like '%live.html'"
        ).fetchone()
        assert row == (date(2024, 7, 13), date(2024, 7, 10), date(2024, 7, 10), True)
        assert con.execute("select count(*) from fetch_log where is_failure").fetchone() == (0,)


def test_a_response_that_cannot_be_decoded_is_one_failed_url_and_replays_cleanly(
    server, tmp_path: Path
) -> None:
    server.routes["/news/odd-charset.html"] = html(
        article_page("Une page en Latin-1 à l'en-tête faux", charset="iso-8859-1"),
        content_type="text/html; charset=x-foobar",
    )
    server.routes["/news/not-gzip.html"] = (
        200,
        {"Content-Type": "text/html; charset=utf-8", "Content-Encoding": "gzip"},
        b"this body was never compressed",
    )
    paths = ["/news/a.html", "/news/odd-charset.html", "/news/not-gzip.html"]
    source = SourceSpec(
        "web", "urls", "", urls=tuple(server.url(p) for p in paths), allow_private_addresses=LOCAL
    )
    settings = fast_settings(tmp_path)
    collected = collect_source(source, DAY, settings)
    assert outcomes(collected) == {
        "a.html": (200, None),
        "odd-charset.html": (200, None),  # kept: the page's own <meta charset> decodes it
        "not-gzip.html": (None, "decoding_error"),
    }
    by_path = {d.url.rsplit("/", 1)[-1]: d for d in collected.documents}
    assert set(by_path) == {"a.html", "odd-charset.html"}
    assert "à l'en-tête faux" in by_path["odd-charset.html"].raw_text
    log = {row.url.rsplit("/", 1)[-1]: row for row in collected.log}
    assert "unknown charset 'x-foobar'" in log["odd-charset.html"].message
    replayed = collect_source(source, DAY, settings)  # a re-run of the day reads the same archive
    assert replayed.replayed and [d.raw_text for d in replayed.documents] == [
        d.raw_text for d in collected.documents
    ]


def test_retry_after_is_waited_for_in_seconds_or_as_a_date_and_capped(server, tmp_path: Path) -> None:
    page = html(article_page("Enfin disponible"))
    in_30_s = email.utils.format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    server.routes["/seconds.html"] = fail_then([503], page, {"Retry-After": "3"})
    server.routes["/date.html"] = fail_then([429], page, {"Retry-After": in_30_s})
    server.routes["/too-long.html"] = fail_then([503], page, {"Retry-After": "3600"})
    waits: list[float] = []
    settings = fast_settings(tmp_path, max_retry_after_s=60.0)
    with Fetcher(
        settings, sleep=waits.append, allow_private_addresses=LOCAL
    ) as fetcher:  # the waits are recorded, not spent
        seconds = fetcher.get(server.url("/seconds.html"), "article")
        assert seconds.status == 200 and waits == [3.0]
        dated = fetcher.get(server.url("/date.html"), "article")
        assert dated.status == 200 and len(waits) == 2 and 25 <= waits[1] <= 31
        too_long = fetcher.get(server.url("/too-long.html"), "article")
    assert too_long.error_class == "http_503" and "Retry-After 3600s is too long" in too_long.message
    assert len(waits) == 2 and server.hits["/too-long.html"] == 1  # given up at once, not waited for


def test_a_feed_is_judged_by_its_body_not_its_content_type(server, tmp_path: Path) -> None:
    rss = RSS.format(base=server.base).encode()
    server.routes["/mislabelled.rss"] = html(rss, "text/html; charset=utf-8")
    server.routes["/plain.rss"] = html(rss, "text/plain")
    server.routes["/page-not-feed.rss"] = html(article_page("Une page, pas un flux"))
    settings = fast_settings(tmp_path)
    for name in ("mislabelled", "plain"):
        collected = collect_source(
            SourceSpec(name, "rss", server.url(f"/{name}.rss"), allow_private_addresses=LOCAL), DAY, settings
        )
        assert [d.url for d in collected.documents] == [
            server.url("/news/a.html"),
            server.url("/news/b.html"),
        ]
    refused = collect_source(
        SourceSpec("page", "rss", server.url("/page-not-feed.rss"), allow_private_addresses=LOCAL),
        DAY,
        settings,
    )
    assert refused.documents == [] and [row.error_class for row in refused.log if row.role == "feed"] == [
        "malformed_feed"
    ]


def test_a_gzip_bomb_is_stopped_while_streaming(server, tmp_path: Path) -> None:
    inflated = 200 * 20_000  # two hundred times the body limit of fast_settings
    server.routes["/news/bomb.html"] = (
        200,
        {"Content-Type": "text/html; charset=utf-8", "Content-Encoding": "gzip"},
        gzip.compress(b"<p>" + b"a" * inflated),
    )
    source = SourceSpec(
        "web",
        "urls",
        "",
        urls=(server.url("/news/bomb.html"), server.url("/news/a.html")),
        allow_private_addresses=LOCAL,
    )
    collected = collect_source(source, DAY, fast_settings(tmp_path))
    assert outcomes(collected) == {"bomb.html": (200, "body_too_large"), "a.html": (200, None)}
    (row,) = [r for r in collected.log if r.url.endswith("bomb.html")]
    assert row.bytes < inflated  # what was kept of it: cut off near the limit, not inflated whole


def test_redirects_are_checked_like_first_requests_and_robots_txt_is_read_with_care(
    server, tmp_path: Path
) -> None:
    other = webserver.start()  # a second host, with its own robots.txt
    other.routes["/robots.txt"] = fail_then(
        [503], (200, {"Content-Type": "text/plain"}, b"User-agent: *\nDisallow: /closed/\nCrawl-delay: 2\n")
    )
    other.routes["/news/open.html"] = html(article_page("Sur l'autre hôte"))
    server.routes["/to-file"] = (302, {"Location": "file:///etc/passwd"}, b"")
    server.routes["/to-private"] = (301, {"Location": "/private/secret.html"}, b"")
    server.routes["/to-other-closed"] = (302, {"Location": other.url("/closed/page.html")}, b"")
    server.routes["/to-other-open"] = (307, {"Location": other.url("/news/open.html")}, b"")
    waits: list[float] = []
    settings = fast_settings(tmp_path, host_delay_s=0.0)
    with Fetcher(  # a stopped clock
        settings, sleep=waits.append, clock=lambda: 100.0, allow_private_addresses=LOCAL
    ) as fetcher:
        results = {
            p: fetcher.get(server.url(p), "article") for p in ("/to-file", "/to-private", "/to-other-closed")
        }
        opened = fetcher.get(server.url("/to-other-open"), "article")
        again = fetcher.get(other.url("/news/open.html"), "article")
        robots = {r.url: r for r in fetcher.robots_log}
    assert results["/to-file"].error_class == "bad_redirect" and server.hits["/to-file"] == 1  # not retried
    assert (
        results["/to-private"].error_class == "robots_disallowed"
    )  # the target's rules, not the first URL's
    assert server.hits["/private/secret.html"] == 0
    assert (
        results["/to-other-closed"].error_class == "robots_disallowed"
        and other.hits["/closed/page.html"] == 0
    )
    assert (
        opened.ok
        and opened.final_url == other.url("/news/open.html")
        and "autre hôte" in opened.body.decode()
    )
    assert again.ok
    # robots.txt was retried after one 503 (the host stays open), and its Crawl-delay spaces that host.
    assert other.hits["/robots.txt"] == 2 and robots[other.url("/robots.txt")].error_class is None
    assert 2.0 in waits
    other.shutdown()


def test_a_missing_robots_txt_allows_everything_and_is_no_failure(server, tmp_path: Path) -> None:
    bare = webserver.start()  # no /robots.txt: a 404
    bare.routes["/news/a.html"] = html(article_page("Sans robots.txt"))
    with Fetcher(fast_settings(tmp_path), allow_private_addresses=LOCAL) as fetcher:
        assert fetcher.get(bare.url("/news/a.html"), "article").ok
        (robots,) = fetcher.robots_log
    assert robots.status == 404 and robots.error_class is None and "everything allowed" in robots.message
    bare.shutdown()


def test_a_source_that_does_not_allow_private_addresses_sends_nothing_to_them(server, tmp_path: Path) -> None:
    port = server.server_address[1]
    urls = (server.url("/news/a.html"), f"http://localhost:{port}/news/b.html")
    before = sum(server.hits.values())
    refused = collect_source(SourceSpec("web", "urls", "", urls=urls), DAY, fast_settings(tmp_path))
    assert outcomes(refused) == {"a.html": (None, "private_address"), "b.html": (None, "private_address")}
    assert sum(server.hits.values()) == before  # not even robots.txt was asked, and nothing was retried
    messages = {row.url.rsplit("/", 1)[-1]: row.message for row in refused.log if row.role == "article"}
    assert messages["a.html"].startswith("127.0.0.1, a loopback address: not fetched")
    assert messages["b.html"].startswith("localhost resolves to 127.0.0.1, a loopback address")
    assert refused.documents == []
    waits: list[float] = []
    with Fetcher(fast_settings(tmp_path), sleep=waits.append) as fetcher:
        assert fetcher.get(server.url("/news/a.html"), "article").error_class == "private_address"
        (robots,) = fetcher.robots_log
    assert robots.error_class == "private_address" and waits == []  # a decision: never retried
    # The same URLs with the switch: fetched, and over the checked address the page's host still
    # names itself (Host header), so name-based virtual hosts keep working.
    allowed = collect_source(
        SourceSpec("web", "urls", "", urls=urls, allow_private_addresses=LOCAL),
        DAY,
        fast_settings(tmp_path / "2"),
    )
    assert outcomes(allowed) == {"a.html": (200, None), "b.html": (200, None)}
    assert server.headers_of("/news/b.html")[-1]["Host"] == f"localhost:{port}"


def test_redirects_from_an_allowed_host_into_other_private_addresses_are_refused(
    server, tmp_path: Path
) -> None:
    inside = webserver.start("127.0.0.2")  # another loopback address, serving a page it must not give
    inside.routes["/news/a.html"] = html(article_page("Une page du réseau interne"))
    server.routes["/to-inside"] = (302, {"Location": inside.url("/news/a.html")}, b"")
    server.routes["/to-metadata"] = (302, {"Location": "http://169.254.169.254/latest/meta-data/"}, b"")
    server.routes["/to-mapped"] = (
        302,
        {"Location": f"http://[::ffff:127.0.0.2]:{inside.server_address[1]}/news/a.html"},
        b"",
    )
    sources = tmp_path / "sources.yaml"  # only the one address this source is served from
    sources.write_text(
        "sources:\n  - name: web\n    kind: urls\n    allow_private_addresses: [127.0.0.1]\n    urls:\n"
        + "".join(
            f"      - {server.url(p)}\n" for p in ("/to-inside", "/to-metadata", "/to-mapped", "/news/c.html")
        )
    )
    (source,) = load_sources(Settings(sources_path=sources))
    collected = collect_source(source, DAY, fast_settings(tmp_path))
    assert outcomes(collected) == {
        "to-inside": (None, "private_address"),
        "to-metadata": (None, "private_address"),
        "to-mapped": (None, "private_address"),
        "c.html": (200, None),  # the allowed address itself
    }
    assert sum(inside.hits.values()) == 0 and server.hits["/to-metadata"] == 1  # refused, not retried
    messages = {row.url.rsplit("/", 1)[-1]: row.message for row in collected.log if row.role == "article"}
    assert "169.254.169.254, a link-local address" in messages["to-metadata"]
    assert "::ffff:127.0.0.2, a loopback address" in messages["to-mapped"]  # judged as its IPv4 address
    assert [d.url for d in collected.documents] == [server.url("/news/c.html")]
    inside.shutdown()


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("169.254.169.254", "link-local"),  # the cloud metadata service
        ("fe80::1", "link-local"),
        ("10.1.2.3", "private"),
        ("192.168.1.1", "private"),
        ("fd00::1", "private"),
        ("224.0.0.1", "multicast"),  # public to Python's is_global, so named on its own
        ("ff02::1", "multicast"),
        ("0.0.0.0", "unspecified"),  # connects to this machine on Linux
        ("::", "unspecified"),
        ("240.0.0.1", "private"),
        ("100.64.0.1", "not globally reachable"),  # carrier-grade NAT
        ("::ffff:169.254.169.254", "link-local"),  # IPv4-mapped
        ("64:ff9b::a9fe:a9fe", "link-local"),  # NAT64 of 169.254.169.254
        ("2002:a9fe:a9fe::", "link-local"),  # 6to4 of 169.254.169.254
        ("8.8.8.8", None),
        ("2606:4700:4700::1111", None),
        ("64:ff9b::808:808", None),  # NAT64 of a public address: what an IPv6-only host reaches the web by
    ],
)
def test_addresses_are_judged_after_unwrapping_the_ipv4_they_carry(address: str, kind: str | None) -> None:
    assert non_public_kind(ipaddress.ip_address(address)) == kind


def self_signed_certificate(host: str, folder: Path) -> tuple[Path, Path]:
    """A certificate for `host` and its key, as PEM files: the server's chain and the client's trust."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder(
            name, name, key.public_key(), x509.random_serial_number(), now, now + timedelta(days=1)
        )
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


def test_https_over_the_checked_address_still_verifies_the_hosts_certificate(tmp_path: Path) -> None:
    cert, key = self_signed_certificate("localhost", tmp_path)
    server = webserver.TestServer()
    server_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_tls.load_cert_chain(cert, key)
    server.socket = server_tls.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    server.routes["/news/a.html"] = html(article_page("Une page servie en HTTPS"))
    port = server.server_address[1]
    trusting = httpx.HTTPTransport(verify=ssl.create_default_context(cafile=str(cert)))
    with httpx.Client(transport=CheckedTransport(LOCAL, trusting)) as client:
        # Connected to 127.0.0.1, checked against "localhost": the name the certificate is for.
        assert client.get(f"https://localhost:{port}/news/a.html").status_code == 200
        with pytest.raises(httpx.ConnectError, match="IP address mismatch"):  # no certificate for the address
            client.get(f"https://127.0.0.1:{port}/news/a.html")
    server.shutdown()
