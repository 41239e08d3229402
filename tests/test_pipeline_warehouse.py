"""The stages composed for one day, the lake they write and the DuckDB warehouse built from it."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pytest

from newsflow import tasks
from newsflow.partition import partition_date
from newsflow.schema import SIGNATURES, TEMPLATES
from newsflow.settings import Settings
from newsflow.store import lake
from newsflow.warehouse.build import GrainError, build_warehouse
from newsflow.warehouse.models import sql_models

from conftest import FIXTURES_DIR, PUBLISHED_DATASETS, SEEDS_DIR

DAY = date(2024, 7, 10)


def rows(settings: Settings, sql: str) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return con.execute(sql).fetchall()


def run_day(settings: Settings, day: date = DAY) -> dict[str, int]:
    counts = tasks.ingest_day(day, settings)
    build_warehouse(settings)
    return counts


def test_seeds_end_in_the_lake_and_warehouse_with_nothing_lost(settings: Settings) -> None:
    counts = run_day(settings)
    assert {k: counts[k] for k in ("read", "clean", "quarantined", "duplicates")} == {
        "read": 5,
        "clean": 5,
        "quarantined": 0,
        "duplicates": 0,
    }
    assert counts["mentions"] > 100
    assert rows(settings, "select count(*), count(distinct article_id) from articles") == [(5, 5)]
    assert rows(settings, "select distinct language, date_source, article_date from articles") == [
        ("fr", "ingest_date", DAY)
    ]
    assert rows(settings, "select sum(n_mentions) from mentions") == [(counts["mentions"],)]
    # Views agree with the mention rows they summarise.
    assert rows(settings, "select sum(n_mentions) from mentions_daily") == rows(
        settings, "select sum(n_mentions) from mentions_weekly"
    )
    assert rows(settings, "select n_articles from mentions_daily where entity_id = 'nato'") == [(5,)]


def test_rerunning_a_day_is_idempotent(settings: Settings) -> None:
    run_day(settings)
    first_daily = rows(settings, "select * from mentions_daily order by all")
    first_counts = {d: lake.read_partition(settings.lake_uri, d, DAY).num_rows for d in PUBLISHED_DATASETS}
    run_day(settings)
    assert rows(settings, "select * from mentions_daily order by all") == first_daily
    assert {
        d: lake.read_partition(settings.lake_uri, d, DAY).num_rows for d in PUBLISHED_DATASETS
    } == first_counts
    assert [p.parent.name for p in lake.partition_files(settings.lake_uri, "articles")] == [
        "ingest_date=2024-07-10"
    ]


def test_bad_inputs_end_clean_or_quarantined_and_the_rest_is_kept(tmp_path: Path) -> None:
    source = tmp_path / "inbox"
    shutil.copytree(SEEDS_DIR, source)
    (source / "empty.txt").write_bytes(b"")
    (source / "binary.txt").write_bytes(bytes(range(256)) * 8)
    (source / "latin1.txt").write_bytes(
        (
            "Les ministres de la Défense réunis à Bruxelles\n\n"
            "Les ministres de la Défense de l'OTAN se sont réunis jeudi à Bruxelles pour préparer le sommet "
            "de juillet, où l'élargissement et l'aide à l'Ukraine seront au centre des débats, a indiqué "
            "un diplomate à la sortie de la réunion. Les alliés ont promis de nouvelles livraisons d'armes."
        ).encode("latin-1")
    )
    (source / "boilerplate.txt").write_text(
        "Lire aussi\n- Un autre article\nCopier le lien\nPartager\nphoto-1.jpg\nALIMENTÉ PAR UNCMS\n",
        encoding="utf-8",
    )
    settings = Settings(data_dir=tmp_path / "data", source_dir=source)
    counts = run_day(settings)

    assert counts["read"] == 9
    assert counts["clean"] + counts["quarantined"] == 9  # every file is accounted for
    quarantine = dict(
        rows(
            settings,
            "select source_path, stage || ': ' || array_to_string(failed_expectations, ', ') from quarantine",
        )
    )
    assert quarantine == {
        "binary.txt": "read: binary_content: not text in any known encoding",
        "empty.txt": "validate: expect_column_values_to_be_between(text_chars), expect_column_values_to_not_be_null(language), "
        "expect_column_values_to_not_be_null(title)",
        "boilerplate.txt": "validate: expect_column_values_to_be_between(text_chars), "
        "expect_column_values_to_not_be_null(language)",
    }
    assert rows(settings, "select language, title from articles where source_path = 'latin1.txt'") == [
        ("fr", "Les ministres de la Défense réunis à Bruxelles")
    ]
    assert rows(settings, "select count(*) from articles") == [(6,)]


def test_exact_copy_on_a_later_day_points_to_the_first(tmp_path: Path) -> None:
    source = tmp_path / "inbox"
    source.mkdir()
    shutil.copy(next(SEEDS_DIR.glob("004_*.txt")), source / "monday.txt")
    settings = Settings(data_dir=tmp_path / "data", source_dir=source)
    run_day(settings, date(2024, 7, 8))
    (source / "monday.txt").rename(source / "tuesday_reprint.txt")
    counts = run_day(settings, date(2024, 7, 9))
    assert counts["duplicates"] == 1
    assert rows(settings, "select source_path, is_duplicate from articles order by ingest_date") == [
        ("monday.txt", False),
        ("tuesday_reprint.txt", True),
    ]
    # Mentions are counted once per story text, not once per copy.
    assert rows(settings, "select count(distinct article_id) from mentions") == [(1,)]


def test_html_pages_bring_their_dates_and_a_language_disagreement_is_flagged(tmp_path: Path) -> None:
    source = tmp_path / "pages"
    source.mkdir()
    page = (FIXTURES_DIR / "html" / "article_with_inline_teaser.html").read_text(encoding="utf-8")
    (source / "fr.html").write_text(page, encoding="utf-8")
    (source / "declared_en.html").write_text(page.replace('lang="fr-FR"', 'lang="en"'), encoding="utf-8")
    settings = Settings(data_dir=tmp_path / "data", source_dir=source)
    run_day(settings)
    assert rows(
        settings,
        "select source_path, html_language, language, is_language_mismatch, article_date, date_source "
        "from articles order by source_path",
    ) == [
        ("declared_en.html", "en", "fr", True, date(2024, 7, 11), "published_date"),
        ("fr.html", "fr", "fr", False, date(2024, 7, 11), "published_date"),
    ]
    # The two copies are the same text: one is an exact duplicate, so mentions count it once.
    assert rows(
        settings, "select n_articles, n_articles_undated from mentions_daily where entity_id = 'ukraine'"
    ) == [(1, 0)]


def test_every_model_builds_on_an_empty_lake(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "empty")
    build_warehouse(settings)
    for name in (m.name for m in sql_models(settings.sql_dir) if m.materialized != "macro"):
        assert rows(settings, f"select count(*) from {name}") == [(0,)] or name in (
            "entities",
            "watchlist_keys",
        )
    assert rows(settings, "select count(*) from trending_as_of(date '2024-07-10')") == [(0,)]
    assert rows(settings, "select count(*) from entities")[0][0] >= 12


def test_every_sql_model_states_its_grain_and_materialization() -> None:
    models = sql_models(Settings().sql_dir)
    names = [m.name for m in models]
    assert names.index("stg_articles") < names.index("stg_mentions") < names.index("mentions")
    for i, model in enumerate(models):
        assert model.sql.startswith(f"-- {model.name}: one row per"), model.name
        assert model.materialized in ("table", "view", "incremental", "macro")
        # An incremental model refreshes whole weeks: it must read only the weeks it is asked for.
        assert (model.materialized == "incremental") == ("refresh_weeks" in model.reads), model.name
        assert model.reads & set(names) <= set(names[:i]), model.name  # built after what it reads
    assert {m.name for m in models if m.unique} >= {
        "articles",
        "stories",
        "mentions",
        "mentions_daily",
        "mentions_weekly",
        "trending",
    }


def write_models(sql_dir: Path, models: dict[str, str]) -> Path:
    """Model files NAME.sql, each a view of the given select."""
    sql_dir.mkdir()
    for name, sql in models.items():
        (sql_dir / f"{name}.sql").write_text(f"-- {name}: one row per test.\n-- materialized: view\n{sql}\n")
    return sql_dir


def test_build_order_follows_what_each_model_reads(tmp_path: Path) -> None:
    sql_dir = write_models(
        tmp_path / "sql",
        {
            "a_report": "with b_count as (select * from b_count) select * from b_count",  # the model b_count
            "b_count": "select count(*) as n from c_labels",
            "c_labels": "select label from raw_entities",
            "d_alone": "with c_labels as (select 1 as n) select * from c_labels",  # its CTE, not the model
        },
    )
    models = sql_models(sql_dir)
    assert [m.name for m in models] == ["c_labels", "b_count", "a_report", "d_alone"]
    assert models[-1].reads == frozenset()

    (sql_dir / "c_labels.sql").write_text(
        "-- c_labels: one row per x.\n-- materialized: view\nselect * from a_report"
    )
    with pytest.raises(ValueError, match=r"cycle: a_report -> b_count -> c_labels -> a_report"):
        sql_models(sql_dir)
    (sql_dir / "c_labels.sql").write_text(
        "-- c_labels: one row per x.\n-- materialized: view\nselect * from nowhere"
    )
    with pytest.raises(ValueError, match=r"model c_labels \(c_labels.sql\) reads nowhere: neither a model"):
        sql_models(sql_dir)


def test_a_model_that_breaks_its_declared_grain_fails_the_build(tmp_path: Path) -> None:
    sql_dir = tmp_path / "sql"
    sql_dir.mkdir()
    model = "-- pairs: one row per k.\n-- materialized: table\n-- unique: {}\n" + (
        "select * from (values ('a', 1), ('b', 1), ('b', 2), ('c', 1), ('c', 2)) as t(k, n)"
    )
    (sql_dir / "pairs.sql").write_text(model.format("k"))
    settings = Settings(data_dir=tmp_path / "data", sql_dir=sql_dir)
    with pytest.raises(GrainError, match=r"model pairs breaks its grain \(unique: k\): 2 rows have k = 'b'$"):
        build_warehouse(settings)
    assert not settings.warehouse_path.exists()

    (sql_dir / "pairs.sql").write_text(model.format("k, n"))  # the true grain
    build_warehouse(settings)
    assert rows(settings, "select count(*) from pairs") == [(5,)]


def test_missing_step_date_fails_loudly(settings: Settings) -> None:
    with pytest.raises(ValueError, match="logical date"):
        tasks.run_publish(None, settings)
    with pytest.raises(ValueError, match="logical date"):
        tasks.run_collect("seeds", None, settings)


READER = """
import sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
count = lambda: con.execute("select count(*) from articles").fetchone()[0]
print(count(), flush=True)
sys.stdin.readline()  # the parent builds the warehouse meanwhile
print(count(), flush=True)
"""


def test_an_open_reader_never_blocks_the_build_and_keeps_its_snapshot(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", source_dir=SEEDS_DIR)
    run_day(settings)
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(settings.warehouse_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert reader.stdin is not None and reader.stdout is not None
    assert reader.stdout.readline().strip() == "5"
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "note.txt").write_text(
        next(SEEDS_DIR.glob("002_*.txt")).read_text(encoding="utf-8") + "\nSuite."
    )
    run_day(Settings(data_dir=tmp_path / "data", source_dir=inbox), date(2024, 7, 11))  # builds while read
    reader.stdin.write("go\n")
    reader.stdin.flush()
    assert reader.stdout.readline().strip() == "5"  # the open session keeps its snapshot
    reader.wait(timeout=30)
    assert rows(settings, "select count(*) from articles") == [(6,)]  # a new session sees the new one


def test_a_failed_full_build_leaves_the_warehouse_as_it_was(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", source_dir=SEEDS_DIR)
    run_day(settings)
    broken_sql = tmp_path / "sql"
    shutil.copytree(settings.sql_dir, broken_sql)
    (broken_sql / "broken.sql").write_text(  # fails once the models it reads are built
        "-- broken: one row per nothing\n-- materialized: table\nselect cast(title as integer) as n from articles"
    )
    with pytest.raises(duckdb.ConversionException):
        build_warehouse(dataclasses.replace(settings, sql_dir=broken_sql), full=True)
    assert rows(settings, "select count(*) from articles") == [(5,)]
    assert [p.name for p in settings.warehouse_path.parent.glob("*.building*")] == []


def test_a_publish_that_fails_while_writing_replaces_nothing_of_the_day(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    shutil.copytree(SEEDS_DIR, inbox)
    settings = Settings(data_dir=tmp_path / "data", source_dir=inbox)
    tasks.ingest_day(DAY, settings)
    before = {d: lake.read_partition(settings.lake_uri, d, DAY) for d in PUBLISHED_DATASETS}
    (inbox / "new.txt").write_text(next(SEEDS_DIR.glob("001_*.txt")).read_text(encoding="utf-8") + "\nSuite.")
    signatures = lake.partition_dir(settings.lake_uri, SIGNATURES, DAY)
    shutil.rmtree(signatures)
    signatures.write_text("a file where the signatures partition should be")  # writing it fails
    with pytest.raises(FileExistsError):
        tasks.ingest_day(DAY, settings)
    after = {d: lake.read_partition(settings.lake_uri, d, DAY) for d in PUBLISHED_DATASETS}
    assert (
        after == before
    )  # articles, quarantine, mentions, candidates were written first, and not put in place
    current = {lake.partition_file(settings.lake_uri, d, DAY) for d in (*PUBLISHED_DATASETS, TEMPLATES)}
    assert set(settings.lake_uri.rglob("*.parquet")) == current  # the unused new files were removed
    assert not list(settings.lake_uri.rglob("*.tmp"))


@pytest.fixture
def small_disk(tmp_path: Path):
    """A 16 MB tmpfs mounted for the test (root only; skipped where mounting is not allowed)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    if (
        os.geteuid() != 0
        or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount)]).returncode
    ):
        pytest.skip("mounting a small tmpfs needs root")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_disk_says_so_and_leaves_the_published_day_as_it_was(small_disk: Path) -> None:
    settings = Settings(data_dir=small_disk / "data", source_dir=SEEDS_DIR)
    run_day(settings)
    before = lake.read_partition(settings.lake_uri, "articles", DAY)
    filler = small_disk / "filler"
    with open(filler, "wb", buffering=0) as file, contextlib.suppress(OSError):
        while True:  # fill the disk to the last block
            file.write(b"\0" * 65536)
    with pytest.raises((OSError, duckdb.Error), match="No space left on device"):
        run_day(settings)
    with pytest.raises((OSError, duckdb.Error), match="No space left on device"):
        build_warehouse(settings, full=True)  # not "cannot rollback - no transaction is active"
    assert lake.read_partition(settings.lake_uri, "articles", DAY) == before
    assert rows(settings, "select count(*) from articles") == [(5,)]


def test_a_full_disk_under_the_warehouse_is_one_line_and_the_next_build_catches_up(
    small_disk: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from newsflow.cli import main

    warehouse = small_disk / "warehouse.duckdb"
    settings = Settings(data_dir=tmp_path / "data", source_dir=SEEDS_DIR, warehouse_path=warehouse)
    run_day(settings)
    filler = small_disk / "filler"
    with open(filler, "wb", buffering=0) as file, contextlib.suppress(OSError):
        while True:  # fill the warehouse's disk to the last block: the copy for the swap fails
            file.write(b"\0" * 65536)
    flags = ["--data-dir", str(settings.data_dir), "--warehouse", str(warehouse)]
    capsys.readouterr()
    assert main(["ingest", "--date", "2024-07-11", "--source", str(SEEDS_DIR), *flags]) == 1
    printed = capsys.readouterr().out
    assert f"{warehouse} not updated, left as it was" in printed and "No space left on device" in printed
    assert "Traceback" not in printed
    assert lake.partition_file(settings.lake_uri, "articles", date(2024, 7, 11)) is not None  # published
    assert rows(settings, "select count(*) from lake_articles") == [(5,)]  # the warehouse a day behind
    assert sorted(p.name for p in small_disk.iterdir()) == [
        ".warehouse.duckdb.lock",
        "filler",
        "warehouse.duckdb",
    ]
    filler.unlink()
    assert main(["build-warehouse", *flags]) == 0  # catches up
    assert rows(settings, "select count(*) from lake_articles") == [(10,)]


def test_partition_date_is_the_form_then_the_data_interval_then_the_day_before_the_run() -> None:
    night, afternoon = datetime(2024, 7, 11, tzinfo=UTC), datetime(2024, 7, 11, 14, 30, tzinfo=UTC)
    assert partition_date("2024-07-01", datetime(2024, 7, 10, tzinfo=UTC), night) == "2024-07-01"
    assert partition_date(None, datetime(2024, 7, 10, tzinfo=UTC), night) == "2024-07-10"
    assert partition_date("", None, afternoon) == "2024-07-10"  # no logical date: the day before
    with pytest.raises(ValueError, match="Invalid isoformat"):
        partition_date("10/07/2024", None, night)
