"""The numbers' axes: which clock dates a mention, who published an article, and what the flags say."""

from __future__ import annotations

import re
import shutil
from datetime import date
from pathlib import Path

import duckdb

from newsflow import tasks
from newsflow.settings import Settings
from newsflow.store import lake
from newsflow.warehouse.build import build_warehouse

from conftest import FIXTURES_DIR, PUBLISHED_DATASETS, SEEDS_DIR

INGEST_DAY = date(2024, 7, 26)
PAGE = (FIXTURES_DIR / "html" / "article_with_inline_teaser.html").read_text(encoding="utf-8")  # 2024-07-11


def rows(settings: Settings, sql: str) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return con.execute(sql).fetchall()


def page_from(url: str, sentence: str = "", published: str = "2024-07-11T08:30:00+02:00") -> str:
    """The fixture page under another canonical URL and date, with one sentence of its own."""
    page = PAGE.replace("https://quotidien.example/monde/sommet-otan-kiev", url)
    page = re.sub(r'(article:published_time" content=")[^"]+', rf"\g<1>{published}", page)
    return page.replace("</article>", f"<p>{sentence}</p></article>")


def ingest(tmp_path: Path, folders: dict[str, dict[str, str]], day: date = INGEST_DAY) -> Settings:
    """Write each folder's files, declare one folder source per folder, ingest the day, build."""
    declared = []
    for name, files in folders.items():
        folder = tmp_path / name
        folder.mkdir()
        for file_name, content in files.items():
            (folder / file_name).write_text(content, encoding="utf-8")
        declared.append(f"  - {{name: {name}, kind: folder, location: {folder}}}\n")
    (tmp_path / "sources.yaml").write_text("sources:\n" + "".join(declared), encoding="utf-8")
    settings = Settings(data_dir=tmp_path / "data", sources_path=tmp_path / "sources.yaml")
    tasks.ingest_day(day, settings)
    build_warehouse(settings)
    return settings


def test_a_page_dated_after_its_ingest_day_is_dated_by_ingest_and_says_why(tmp_path: Path) -> None:
    # The wall clock (today) is long past 2025-03-01; the run's day, 2024-07-26, is not.
    settings = ingest(
        tmp_path,
        {
            "pages": {
                "future.html": page_from(
                    "https://www.avenir.fr/a", "Daté du futur.", "2025-03-01T09:00:00+01:00"
                ),
                "tomorrow.html": page_from(
                    "https://www.demain.fr/a", "Daté du lendemain.", "2024-07-27T09:00:00+02:00"
                ),
            }
        },
    )
    assert rows(
        settings,
        "select publisher, published_date, published_date_source, article_date, date_source from articles order by 1",
    ) == [
        ("avenir.fr", None, "rejected_future", INGEST_DAY, "ingest_date"),
        ("demain.fr", date(2024, 7, 27), "metadata", date(2024, 7, 27), "published_date"),  # within a day
    ]


def test_both_clocks_are_explicit_and_undated_articles_are_counted(tmp_path: Path) -> None:
    seed = next(SEEDS_DIR.glob("000_*.txt"))
    settings = ingest(
        tmp_path,
        {
            "mixed": {
                "dated.html": page_from("https://www.quotidien.fr/a"),
                "undated.txt": seed.read_text(encoding="utf-8"),
            }
        },
    )
    assert rows(settings, "select source_path, article_date, date_source from articles order by 1") == [
        ("dated.html", date(2024, 7, 11), "published_date"),
        ("undated.txt", INGEST_DAY, "ingest_date"),
    ]
    by_published = "select date_basis, mention_date, n_articles, n_articles_undated from mentions_daily where entity_id = 'nato' order by 2"
    assert rows(settings, by_published) == [
        ("published", date(2024, 7, 11), 1, 0),
        ("published", INGEST_DAY, 1, 1),  # the .txt has no date of its own: its ingest day, flagged
    ]
    by_ingest = "select date_basis, ingest_date, n_articles, n_articles_undated from mentions_daily_by_ingest where entity_id = 'nato'"
    assert rows(settings, by_ingest) == [("ingest", INGEST_DAY, 2, 1)]
    weekly = "select sum(n_mentions) from {} where entity_id = 'nato'"
    assert rows(settings, weekly.format("mentions_weekly")) == rows(
        settings, weekly.format("mentions_weekly_by_ingest")
    )


def test_publishers_are_registered_domains_not_folders(tmp_path: Path) -> None:
    sixteen = {
        f"site{i:02}.html": page_from(
            f"https://www.journal{i}.fr/monde/otan", f"Version numéro {i} de la dépêche."
        )
        for i in range(16)
    }
    same_site = {  # a second folder: two more copies from journal0.fr (another subdomain) and a .co.uk site
        "amp.html": page_from("https://amp.journal0.fr/monde/otan", "Version mobile de la dépêche."),
        "uk.html": page_from("https://www.paper.co.uk/world/nato", "Version britannique de la dépêche."),
    }
    settings = ingest(tmp_path, {"inbox": sixteen, "partners": same_site})
    assert rows(
        settings, "select count(*), count(distinct publisher), count(distinct source) from articles"
    ) == [(18, 17, 2)]
    assert rows(settings, "select distinct publisher from articles where source = 'partners' order by 1") == [
        ("journal0.fr",),
        ("paper.co.uk",),
    ]
    assert rows(settings, "select n_articles, n_publishers from stories") == [
        (18, 17)
    ]  # one syndicated story
    assert rows(
        settings, "select n_articles, n_stories, n_publishers from mentions_daily where entity_id = 'nato'"
    ) == [(18, 1, 17)]


def test_publisher_falls_back_to_sitename_then_source(tmp_path: Path) -> None:
    no_url = PAGE.replace(
        '<link rel="canonical" href="https://quotidien.example/monde/sommet-otan-kiev">', ""
    )
    no_url_no_site = no_url.replace('<meta property="og:site_name" content="Le Quotidien">', "")
    settings = ingest(tmp_path, {"inbox": {"a.html": no_url, "b.html": no_url_no_site + "<p>Autre.</p>"}})
    assert rows(settings, "select source_path, url, publisher from articles order by 1") == [
        ("a.html", None, "Le Quotidien"),
        ("b.html", None, "inbox"),
    ]


def test_language_mismatch_is_false_when_nothing_was_declared(tmp_path: Path) -> None:
    folder = tmp_path / "seeds"
    shutil.copytree(SEEDS_DIR, folder)
    settings = Settings(data_dir=tmp_path / "data", source_dir=folder)
    tasks.ingest_day(INGEST_DAY, settings)
    build_warehouse(settings)
    assert rows(
        settings, "select html_language, is_language_mismatch, count(*) from articles group by all"
    ) == [(None, False, 5)]
    assert rows(settings, "select count(*) from articles where not is_language_mismatch") == [(5,)]


def test_incremental_counts_follow_an_article_on_both_clocks(tmp_path: Path) -> None:
    """An article published one week and ingested another: when its day leaves the lake, the
    incremental counts forget it in both weeks, as a full rebuild does."""
    dated = page_from("https://www.quotidien.fr/a")  # published 2024-07-11, ingested 2024-07-26
    seed = next(SEEDS_DIR.glob("001_*.txt")).read_text(encoding="utf-8")
    settings = ingest(tmp_path, {"pages": {"dated.html": dated}})
    later = tmp_path / "later"
    later.mkdir()
    (later / "seed.txt").write_text(seed, encoding="utf-8")
    tasks.ingest_day(date(2024, 8, 5), Settings(data_dir=settings.data_dir, source_dir=later))
    build_warehouse(settings)
    weeks = (
        "select distinct date_basis, period_start from int_mention_counts where grain = 'week' order by all"
    )
    assert rows(settings, weeks) == [
        ("ingest", date(2024, 7, 22)),
        ("ingest", date(2024, 8, 5)),
        ("published", date(2024, 7, 8)),
        ("published", date(2024, 8, 5)),
    ]
    lake.drop_partitions(
        settings.lake_uri, INGEST_DAY, PUBLISHED_DATASETS
    )  # the first day is withdrawn from the lake
    build_warehouse(settings)
    assert rows(settings, weeks) == [("ingest", date(2024, 8, 5)), ("published", date(2024, 8, 5))]
    full = Settings(data_dir=settings.data_dir, warehouse_path=tmp_path / "full.duckdb")
    build_warehouse(full, full=True)
    everything = "select * from int_mention_counts order by all"
    assert rows(settings, everything) == rows(full, everything)
