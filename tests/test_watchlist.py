"""The user's watchlist: edited with `newsflow entities`, and history follows it at the next build
(stored days matched again from the lake's texts, no re-ingest)."""

from __future__ import annotations

import dataclasses
import re
import shutil
from datetime import date
from pathlib import Path

import pytest

from newsflow import tasks
from newsflow.cli import main
from newsflow.day.rematch import WATCHLIST_KEY, rematch_history
from newsflow.entities.watchlist import load_gazetteer
from newsflow.settings import Settings
from newsflow.store import lake
from newsflow.warehouse.build import query

from conftest import SEEDS_DIR

DAY = date(2024, 7, 10)


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The seeds' day, ingested and built once with the example watchlist."""
    root = tmp_path_factory.mktemp("watchlist")
    shutil.copytree(SEEDS_DIR, root / "seeds")
    settings = Settings(data_dir=root / "data", source_dir=root / "seeds")
    tasks.ingest_day(DAY, settings)
    tasks.run_enrich(DAY.isoformat(), settings)
    tasks.run_build_warehouse(settings)
    return settings


@pytest.fixture
def settings(ingested: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """A copy of the ingested data folder, for one test to change; the CLI reads it from the environment."""
    shutil.copytree(ingested.data_dir, tmp_path / "data")
    monkeypatch.setenv("NEWSFLOW_DATA_DIR", str(tmp_path / "data"))
    return Settings.from_env()


def total_mentions(settings: Settings, entity_id: str) -> int:
    _, rows = query(
        settings, "select sum(n_mentions) from mentions_daily where entity_id = $id", {"id": entity_id}
    )
    return int(rows[0][0] or 0)


def word_count(settings: Settings, pattern: str) -> int:
    """Word-bounded, case-insensitive occurrences in the titles and texts of the day's originals."""
    articles = lake.read_partition(settings.lake_uri, "articles", DAY, ["title", "text", "duplicate_of"])
    return sum(
        len(re.findall(rf"(?<!\w){pattern}(?!\w)", f"{row['title']}\n{row['text']}", re.IGNORECASE))
        for row in articles.to_pylist()
        if row["duplicate_of"] is None
    )


def test_an_entity_added_after_ingest_gets_its_mentions_on_earlier_days_at_the_next_build(
    settings: Settings,
) -> None:
    assert total_mentions(settings, "brussels") == 0
    assert (
        main(
            ["entities", "add", "brussels", "--label", "Brussels", "--type", "place", "--alias", "Bruxelles"]
        )
        == 0
    )
    assert main(["build-warehouse"]) == 0
    expected = word_count(settings, "bruxelles")
    assert expected > 0 and total_mentions(settings, "brussels") == expected
    assert total_mentions(settings, "nato") == 58  # the hand-counted entities are unchanged


def test_a_build_with_the_same_watchlist_matches_nothing_again(settings: Settings) -> None:
    mentions = lake.partition_file(settings.lake_uri, "mentions", DAY)
    assert mentions is not None and WATCHLIST_KEY in lake.schema_metadata(mentions)  # stamped by publish
    assert tasks.build_warehouse(settings).loaded == []
    assert lake.partition_file(settings.lake_uri, "mentions", DAY) == mentions


def test_promote_moves_a_discovered_name_under_a_tracked_id(settings: Settings) -> None:
    assert total_mentions(settings, "discovered:julianne smith") > 0
    assert main(["entities", "promote", "julianne smith"]) == 0
    assert main(["build-warehouse"]) == 0
    assert total_mentions(settings, "julianne_smith") == word_count(settings, "julianne smith") > 0
    assert total_mentions(settings, "discovered:julianne smith") == 0  # counted once, as tracked
    _, rows = query(settings, "select label, entity_type from entities where entity_id = 'julianne_smith'")
    assert rows == [("Julianne Smith", "person")]
    _, left = query(settings, "select count(*) from entity_candidates where entity_key = 'julianne smith'")
    assert left == [(0,)]  # tracked now: no longer a candidate


def test_entities_add_refuses_a_taken_alias_and_leaves_the_file_as_it_was(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    before = settings.entities_path.read_text(encoding="utf-8")
    assert (
        main(["entities", "add", "otan_bis", "--label", "OTAN", "--type", "organization", "--alias", "OTAN"])
        == 2
    )
    assert "alias 'OTAN' belongs to both nato and otan_bis" in capsys.readouterr().out
    assert settings.entities_path.read_text(encoding="utf-8") == before


def test_a_day_whose_stored_articles_are_damaged_costs_only_itself(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    later = date(2024, 7, 11)
    shutil.copytree(SEEDS_DIR, settings.data_dir / "later")
    tasks.ingest_day(later, dataclasses.replace(settings, source_dir=settings.data_dir / "later"))
    damaged = lake.partition_file(settings.lake_uri, "articles", DAY)
    assert damaged is not None
    damaged.write_bytes(b"PAR1 not a parquet file")
    assert (
        main(
            ["entities", "add", "brussels", "--label", "Brussels", "--type", "place", "--alias", "Bruxelles"]
        )
        == 0
    )
    in_process = dataclasses.replace(settings, workers=1)  # its log is this process's
    assert rematch_history(in_process) == [later]  # the damaged day is left as it was, and reported
    assert f"{DAY}: not matched again, {damaged} is unreadable" in caplog.text
    fingerprint = load_gazetteer(settings.entities_path).fingerprint.encode()
    stamps = {
        day: lake.schema_metadata(lake.partition_file(settings.lake_uri, "mentions", day))[WATCHLIST_KEY]
        for day in (DAY, later)
    }
    assert stamps[later] == fingerprint != stamps[DAY]  # tried again at the next build
