"""Analytics on real lake data: stories, entity candidates, daily/weekly counts, trending,
incremental loading vs full rebuild, and the chart."""

from __future__ import annotations

import dataclasses
import shutil
from datetime import date, timedelta
from pathlib import Path

import duckdb
import matplotlib.dates
import pytest
import yaml

from newsflow import tasks
from newsflow.schema import Article, Mention, to_table
from newsflow.settings import Settings
from newsflow.store import lake
from newsflow.warehouse.build import build_warehouse
from newsflow.warehouse.models import sql_models
from newsflow.warehouse.report import Point, mentions_figure, render_report

from conftest import FIXTURES_DIR, PUBLISHED_DATASETS, SEEDS_DIR

DAY = date(2024, 7, 10)


def rows(settings: Settings, sql: str) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return con.execute(sql).fetchall()


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    settings = Settings(data_dir=tmp_path_factory.mktemp("seeded"), source_dir=SEEDS_DIR)
    tasks.ingest_day(DAY, settings)
    tasks.run_enrich(DAY.isoformat(), settings)
    build_warehouse(settings)
    return settings


def test_syndicated_seeds_share_a_story_and_the_others_do_not(seeded: Settings) -> None:
    story = dict(rows(seeded, "select left(source_path, 3), story_id from articles"))
    assert story["000"] == story["004"]
    assert len({story[p] for p in ("000", "001", "002", "003")}) == 4
    assert rows(seeded, "select n_articles from stories order by n_articles desc") == [(2,), (1,), (1,), (1,)]


def test_daily_counts_equal_hand_counts(seeded: Settings) -> None:
    daily = {
        r[0]: r[1:]
        for r in rows(
            seeded,
            "select entity_id, n_mentions, n_articles, n_stories, n_publishers "
            "from mentions_daily where mention_date = '2024-07-10'",
        )
    }
    # belarus: "Belarus" once in 001, "Biélorussie" three times in 003.
    assert daily["belarus"] == (4, 2, 2, 1)
    # north_korea: "Corée du Nord" once each in 000, 003 and 004; 000 and 004 are one story.
    assert daily["north_korea"] == (3, 3, 2, 1)
    # joe_biden: only 000's first paragraph; 002's "selon Joe Biden" sits in a removed LIRE AUSSI line.
    assert daily["joe_biden"] == (1, 1, 1, 1)
    assert daily["iran"] == (1, 1, 1, 1)  # "l’Iran" in 003


def test_story_threshold_separates_reprints_from_same_event_coverage(tmp_path: Path) -> None:
    """On texts that are not the seeds: translated and cut reprints join their story; two newsrooms'
    write-ups of one storm, sharing its facts and figures, stay two stories."""
    folder = FIXTURES_DIR / "stories"
    labels = yaml.safe_load((folder / "labels.yaml").read_text(encoding="utf-8"))
    settings = Settings(data_dir=tmp_path / "data", source_dir=folder)
    tasks.ingest_day(DAY, settings)
    build_warehouse(settings)
    found = rows(settings, "select list(source_path order by source_path) from articles group by story_id")
    assert sorted(files for (files,) in found) == sorted(labels.values())


def test_syndication_does_not_inflate_story_counts(seeded: Settings) -> None:
    for n_articles, n_stories in rows(seeded, "select n_articles, n_stories from mentions_weekly"):
        assert n_stories <= n_articles
    assert rows(seeded, "select n_articles, n_stories from mentions_weekly where entity_id = 'nato'") == [
        (5, 4)
    ]
    assert rows(
        seeded,
        "select n_articles, n_stories from cooccurrence_weekly "
        "where entity_a = 'jens_stoltenberg' and entity_b = 'nato'",
    ) == [(5, 4)]


def test_entity_articles_count_what_the_daily_counts_count(seeded: Settings) -> None:
    """The Mentions page's filtered counts start from entity_articles: unfiltered, they are the
    stored daily counts, on either clock."""
    for day, view in (("mention_date", "mentions_daily"), ("first_ingest_date", "mentions_daily_by_ingest")):
        counted = rows(
            seeded,
            f"select {day}, entity_id, sum(n_mentions), count(*) from entity_articles "
            "where entity_id in (select entity_id from entities) group by all order by all",
        )
        column = "mention_date" if view == "mentions_daily" else "ingest_date"
        assert counted == rows(
            seeded, f"select {column}, entity_id, n_mentions, n_articles from {view} order by all"
        )
    first = rows(
        seeded, "select matched_text, in_title, char_offset from entity_articles where entity_id = 'nato'"
    )
    assert first and all(not in_title for _, in_title, _ in first)  # named in the text before the title


def test_mention_occurrences_carry_prominence(seeded: Settings) -> None:
    in_title = rows(
        seeded,
        "select count(*) from mention_occurrences o join articles a using (article_id) "
        "where a.source_path like '004%' and o.in_title and o.entity_id = 'nato'",
    )
    assert in_title == [(1,)]  # "L'OTAN en pourparlers…" is the title
    first = rows(
        seeded,
        "select min(sentence_index), min(char_offset) from mention_occurrences o "
        "join articles a using (article_id) where a.source_path like '004%' and not o.in_title",
    )
    assert first == [(0, 0)]  # the caption "Jens Stoltenberg - OTAN" opens the text


def test_entity_candidates_are_untracked_discovered_entities_with_context(seeded: Settings) -> None:
    found = {
        key: (name, kind, contexts)
        for key, name, kind, contexts in rows(
            seeded, "select entity_key, name, kind, example_contexts from entity_candidates"
        )
    }
    name, kind, contexts = found["alexei reznikov"]
    assert (name, kind) == ("Alexei Reznikov", "PER")
    assert "ministre de la Défense de ce pays, Alexei Reznikov" in contexts[0]
    assert found["wiesbaden"][1] == "LOC"
    assert "reznikov" not in found  # the surname alone is the person named in full
    # Entities the watchlist tracks are never candidates.
    assert not {"otan", "jens stoltenberg", "russie", "chine", "ukraine"} & found.keys()


def test_incremental_build_after_a_second_day_equals_a_full_rebuild(tmp_path: Path) -> None:
    day1, day2 = tmp_path / "day1", tmp_path / "day2"
    shutil.copytree(SEEDS_DIR, day1)
    day2.mkdir()
    seed_000 = next(SEEDS_DIR.glob("000_*.txt")).read_text(encoding="utf-8")
    (day2 / "reprint_000.txt").write_text(seed_000.replace("Washington", "Washington D.C."), encoding="utf-8")
    shutil.copy(next(SEEDS_DIR.glob("003_*.txt")), day2 / "copy_003.txt")
    incremental = Settings(data_dir=tmp_path / "data", source_dir=day1)
    tasks.ingest_day(DAY, incremental)
    assert len(build_warehouse(incremental).loaded) == len(PUBLISHED_DATASETS)
    day2_settings = Settings(data_dir=tmp_path / "data", source_dir=day2)
    tasks.ingest_day(DAY + timedelta(days=1), day2_settings)
    second = build_warehouse(day2_settings)
    assert sorted(second.loaded) == [f"{d}/ingest_date=2024-07-11" for d in sorted(PUBLISHED_DATASETS)]
    assert build_warehouse(day2_settings).loaded == []  # nothing new: nothing read

    full = Settings(data_dir=tmp_path / "data", warehouse_path=tmp_path / "full.duckdb")
    build_warehouse(full, full=True)
    for name in (m.name for m in sql_models(full.sql_dir) if m.materialized != "macro"):
        query = f"select * from {name} order by all"
        assert rows(day2_settings, query) == rows(full, query), name

    # The near-copy of 000 joins its story across days; the exact copy of 003 points at the original.
    stories = rows(
        full,
        "select source_path, story_id = (select story_id from articles where source_path like '000%'),"
        " duplicate_of is not null from articles where ingest_date = '2024-07-11' order by 1",
    )
    assert stories == [("copy_003.txt", False, True), ("reprint_000.txt", True, False)]


def test_a_day_ingested_after_a_later_one_makes_the_later_copies_duplicates(tmp_path: Path) -> None:
    later, earlier = DAY + timedelta(days=7), DAY  # in two ISO weeks
    reprints = tmp_path / "reprints"
    reprints.mkdir()
    for seed in SEEDS_DIR.glob("*.txt"):  # the seeds under other names: other articles, same texts
        shutil.copy(seed, reprints / f"reprint_{seed.name}")
    settings = Settings(data_dir=tmp_path / "data", source_dir=reprints)
    tasks.ingest_day(later, settings)
    build_warehouse(settings)
    settings = dataclasses.replace(settings, source_dir=SEEDS_DIR)
    tasks.ingest_day(earlier, settings)  # the originals, a day earlier, ingested second
    build_warehouse(settings)
    assert rows(settings, "select sum(n_mentions) from mentions_daily where entity_id = 'nato'") == [(58,)]
    copies = rows(
        settings,
        "select ingest_date, count(*) filter (where is_duplicate) from articles group by all order by all",
    )
    assert copies == [(earlier, 0), (later, 5)]
    full = Settings(data_dir=tmp_path / "data", warehouse_path=tmp_path / "full.duckdb")
    build_warehouse(full, full=True)
    for name in ("mentions_daily", "mentions_weekly_by_ingest", "cooccurrence_weekly", "entity_articles"):
        query = f"select * from {name} order by all"
        assert rows(settings, query) == rows(full, query), name


def test_trending_scores_the_last_week_against_the_four_before(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    start = date(2024, 6, 1)
    missed = start + timedelta(days=10)  # a day without a run: no data, which is not zero mentions
    for offset in range(35):
        day = start + timedelta(days=offset)
        if day == missed:
            continue
        last_week = offset >= 28
        per_entity = {
            "nato": 5 if last_week else 1,  # steady, then 5x
            "russia": 2,  # flat: not trending
            "iran": 1 if last_week else 0,  # first seen this week: new
            "china": 3 if last_week else offset % 2 * 2,  # 0,2,0,2… then 3 a day
            "ukraine": 2 if last_week else 1,  # doubled: 14 against 7 expected, z = 2.65
            "belarus": (3 if offset == 34 else 1),  # one busy day: 9 against 7 expected, z = 0.76
        }
        # On the last day, a page dated months ahead (as a lake written before such dates were
        # rejected may hold): it must not move the window, which ends at the run's date.
        future = [("future", {"germany": 4}, date(2025, 3, 1))] if offset == 34 else []
        write_synthetic_day(settings, day, (f"a{offset}", per_entity, None), *future)
    build_warehouse(settings)
    trending = {
        r[0]: r[1:]
        for r in rows(
            settings,
            "select entity_id, as_of_date, status, n_mentions_7d, history_days, ratio, z_score from trending",
        )
    }
    as_of = date(2024, 7, 5)  # the newest ingest date, not the future page's date
    china_expected = 28 / 27 * 7  # 28 mentions over the 27 days with data before, times 7 days
    assert trending == {
        "nato": (as_of, "trending", 35, 27, 5.0, round((35 - 7) / 7**0.5, 3)),
        "china": (
            as_of,
            "trending",
            21,
            27,
            round(3 / (28 / 27), 3),
            round((21 - china_expected) / china_expected**0.5, 3),
        ),
        "ukraine": (as_of, "trending", 14, 27, 2.0, round((14 - 7) / 7**0.5, 3)),
        "iran": (as_of, "new", 7, 27, None, None),
    }
    # As of an earlier day, and with a stricter threshold, the same macro answers the analyst's question.
    assert rows(
        settings, "select count(*) from trending_as_of(date '2024-06-20') where status = 'trending'"
    ) == [(0,)]
    assert [
        r[0]
        for r in rows(
            settings,
            "select entity_id from trending_as_of(date '2024-07-05', min_z_score := 6) where status = 'trending'",
        )
    ] == ["nato"]
    png, page = render_report(settings)  # many days: a line chart, and the trending table in the page
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<td>NATO</td><td>trending</td><td>35</td>" in page.read_text(encoding="utf-8")


def test_with_little_history_every_entity_is_new_not_trending(seeded: Settings, tmp_path: Path) -> None:
    statuses = rows(seeded, "select distinct as_of_date, status, history_days, ratio, z_score from trending")
    assert statuses == [(DAY, "new", 0, None, None)]  # one day of data: nothing to compare with
    assert rows(seeded, "select count(*) from trending") == rows(
        seeded, "select count(distinct entity_id) from mentions_daily"
    )
    three_weeks_later = rows(
        seeded, f"select count(*) from trending_as_of(date '{DAY + timedelta(days=21)}')"
    )
    assert three_weeks_later == [(0,)]  # nothing mentioned in its last 7 days

    # Twelve days of runs: a fivefold rise over 5 days of history is not yet a trend.
    settings = Settings(data_dir=tmp_path)
    for offset in range(12):
        write_synthetic_day(
            settings, DAY + timedelta(days=offset), (f"a{offset}", {"nato": 5 if offset >= 5 else 1}, None)
        )
    build_warehouse(settings)
    assert rows(settings, "select entity_id, status, history_days, ratio from trending") == [
        ("nato", "new", 5, None)
    ]
    scored = "select status, ratio from trending_as_of(date '{}', min_history_days := {})"
    assert rows(settings, scored.format(DAY + timedelta(days=11), 5)) == [("trending", 5.0)]
    # null (what the CLI passes when --min-history-days is not given) means the macro's default
    assert rows(settings, scored.format(DAY + timedelta(days=11), "null")) == [("new", None)]


def write_synthetic_day(
    settings: Settings, day: date, *articles: tuple[str, dict[str, int], date | None]
) -> None:
    """Articles ingested on `day` (id, times each entity is mentioned, published date), into the lake."""
    records = [
        Article(
            article_id,
            "synthetic",
            None,
            None,
            day,
            title="t",
            text="x",
            story_id=article_id,
            published_date=published,
        )
        for article_id, _, published in articles
    ]
    mentions = [
        Mention(article_id, entity, entity, entity, 0, i, False, day)
        for article_id, per_entity, _ in articles
        for entity, n in per_entity.items()
        for i in range(n)
    ]
    lake.write_partition(to_table(records, Article), settings.lake_uri, "articles", day)
    lake.write_partition(to_table(mentions, Mention), settings.lake_uri, "mentions", day)


def test_chart_and_report_are_written(seeded: Settings) -> None:
    png, page = render_report(seeded)
    assert png == seeded.data_dir / "reports" / "mentions.png"
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    import matplotlib.image

    height, width, _ = matplotlib.image.imread(png).shape
    assert width > 600 and height > 300
    text = page.read_text(encoding="utf-8")
    assert "data:image/png;base64," in text and "Jens Stoltenberg" in text and "<table>" in text


def test_weekly_aggregates_forget_a_day_that_leaves_the_lake(tmp_path: Path) -> None:
    """Incremental models refresh the weeks a changed article leaves as well as those it joins."""
    later = tmp_path / "later"
    later.mkdir()
    followup = next(SEEDS_DIR.glob("001_*.txt")).read_text(encoding="utf-8") + "\nMise à jour."
    (later / "followup.txt").write_text(followup, encoding="utf-8")  # not an exact copy: it counts
    settings = Settings(data_dir=tmp_path / "data", source_dir=SEEDS_DIR)
    tasks.ingest_day(DAY, settings)
    next_week = DAY + timedelta(days=10)
    tasks.ingest_day(next_week, Settings(data_dir=tmp_path / "data", source_dir=later))
    build_warehouse(settings)
    weeks = "select distinct week_start from mentions_weekly order by week_start"
    assert rows(settings, weeks) == [(date(2024, 7, 8),), (date(2024, 7, 15),)]

    lake.drop_partitions(
        settings.lake_uri, next_week, PUBLISHED_DATASETS
    )  # the later day is withdrawn from the lake
    assert build_warehouse(settings).removed
    assert rows(settings, weeks) == [(date(2024, 7, 8),)]
    full = Settings(data_dir=tmp_path / "data", warehouse_path=tmp_path / "full.duckdb")
    build_warehouse(full, full=True)
    for name in ("int_mention_counts", "cooccurrence_weekly", "entity_articles"):
        assert rows(settings, f"select * from {name} order by all") == rows(
            full, f"select * from {name} order by all"
        )


def test_report_chart_breaks_its_lines_over_days_without_articles() -> None:
    # Two days with articles a year apart: no line may join them, and the year between is shaded.
    first, last = date(2023, 7, 10), date(2024, 7, 10)
    points: list[Point] = [
        {"mention_date": first, "label": "NATO", "n_mentions": 5, "n_stories": 1},
        {"mention_date": last, "label": "NATO", "n_mentions": 3, "n_stories": 1},
        {"mention_date": last, "label": "Russia", "n_mentions": 9, "n_stories": 2},
    ]
    (axis,) = mentions_figure(points, [first, last]).axes
    lines = {(line.get_color(), len(line.get_xdata())) for line in axis.get_lines()}
    assert len(axis.get_lines()) == 4 and all(n == 1 for _, n in lines)  # one piece per day and entity
    # Russia has no mention on the first day, which had articles: an explicit 0, not a missing point.
    assert sorted(int(line.get_ydata()[0]) for line in axis.get_lines()) == [0, 3, 5, 9]
    (gap,) = axis.patches
    assert matplotlib.dates.num2date(gap.get_x()).date() == first
    legend = [text.get_text() for text in axis.get_legend().get_texts()]
    assert legend == ["Russia (9)", "NATO (8)"]  # ordered as the data: most mentioned first
