"""The enrich step: a published day's open-world entities (NER in French and English), written as the
lake dataset `discovered`, off the ingest path."""

from __future__ import annotations

import dataclasses
import shutil
from datetime import date
from pathlib import Path

import pytest

from newsflow import tasks
from newsflow.cli import main
from newsflow.day import enrich
from newsflow.schema import DISCOVERED
from newsflow.settings import Settings
from newsflow.store import lake
from newsflow.warehouse.build import query

from conftest import SEEDS_DIR

DAY = date(2024, 7, 10)
ENGLISH = """NATO allies meet in Brussels as Biden presses Europe on defence

Julianne Smith, the United States ambassador to NATO, said on Tuesday that allies would meet in
Brussels next week. Smith added that Germany and France had agreed to send more air defence systems
to Ukraine. President Joe Biden spoke with Chancellor Olaf Scholz about the plan. The European
Commission welcomed the decision, while Moscow warned of consequences. Analysts at the Atlantic
Council said the move showed the alliance was united before its summit in Washington.
"""


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The seeds and one English article, ingested (not enriched)."""
    root = tmp_path_factory.mktemp("enrich")
    shutil.copytree(SEEDS_DIR, root / "inbox")
    (root / "inbox" / "english.txt").write_text(ENGLISH, encoding="utf-8")
    settings = Settings(data_dir=root / "data", source_dir=root / "inbox", workers=1)
    tasks.ingest_day(DAY, settings)
    return settings


def discovered(settings: Settings) -> list[dict[str, object]]:
    return lake.read_partition(settings.lake_uri, DISCOVERED, DAY).to_pylist()


def test_an_english_article_gets_its_people_organisations_and_places(published: Settings) -> None:
    tasks.run_enrich(DAY.isoformat(), published)
    english = lake.read_partition(published.lake_uri, "articles", DAY, ["article_id", "source_path"])
    (article_id,) = [row["article_id"] for row in english.to_pylist() if row["source_path"] == "english.txt"]
    found = {
        (row["entity_key"], row["kind"]) for row in discovered(published) if row["article_id"] == article_id
    }
    assert {("julianne smith", "PER"), ("joe biden", "PER"), ("european commission", "ORG")} <= found
    assert {("brussels", "LOC"), ("germany", "LOC")} <= found
    assert ("smith", "PER") not in found  # "Smith" is Julianne Smith, never an entity of its own
    rows = [row for row in discovered(published) if row["article_id"] == article_id]
    text = lake.read_partition(published.lake_uri, "articles", DAY, ["article_id", "text"]).to_pylist()
    body = next(row["text"] for row in text if row["article_id"] == article_id)
    assert all(
        body[row["char_offset"] :].startswith(row["matched_text"]) for row in rows
    )  # offsets in the text
    watchlist = lake.read_partition(published.lake_uri, "mentions", DAY).to_pylist()
    washington = [
        m["sentence_index"] for m in watchlist if m["article_id"] == article_id and m["alias"] == "Washington"
    ]
    assert [
        row["sentence_index"] for row in rows if row["entity_key"] == "washington"
    ] == washington  # as counted there
    tracked = {row["entity_key"]: row["entity_id"] for row in discovered(published)}
    assert tracked["otan"] == "nato" and tracked["julianne smith"] is None  # joined to the watchlist


def test_enriching_a_day_again_gives_identical_rows(published: Settings) -> None:
    tasks.run_enrich(DAY.isoformat(), published)
    first = discovered(published)
    path = tasks.run_enrich(DAY.isoformat(), published)
    assert discovered(published) == first and Path(path).name != ""


def test_a_day_cut_in_parts_on_two_processes_gives_the_rows_of_one_part(
    published: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    tasks.run_enrich(DAY.isoformat(), published)
    whole = discovered(published)
    monkeypatch.setattr(enrich, "ENRICH_PART_ROWS", 2)
    parts = tasks.run_plan_enrich([DAY.isoformat()], published)
    assert [(part["start"], part["stop"]) for part in parts] == [(0, 2), (2, 4), (4, 6)]
    tasks.run_enrich(DAY.isoformat(), dataclasses.replace(published, workers=2))
    assert discovered(published) == whole


def test_parts_planned_before_the_day_was_published_again_are_refused(published: Settings) -> None:
    parts = tasks.run_plan_enrich([DAY.isoformat()], published)
    for part in parts:
        tasks.run_enrich_part(part, published)
    tasks.ingest_day(DAY, published)  # the day is published again: new articles file
    with pytest.raises(RuntimeError, match="2024-07-10 was published again while it was enriched"):
        tasks.run_publish_enrich(parts, published)


def test_an_unpublished_day_is_refused_by_name(published: Settings) -> None:
    with pytest.raises(FileNotFoundError, match="2024-07-11 is not published"):
        tasks.run_enrich("2024-07-11", published)


def test_ingest_enriches_unless_told_not_to(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSFLOW_WORKERS", "1")
    shutil.copytree(SEEDS_DIR, tmp_path / "seeds")
    data = tmp_path / "data"
    common = ["--source", str(tmp_path / "seeds"), "--date", DAY.isoformat(), "--data-dir", str(data)]
    assert main(["ingest", *common, "--no-enrich"]) == 0
    settings = Settings(data_dir=data)
    assert lake.partition_file(settings.lake_uri, DISCOVERED, DAY) is None
    assert main(["ingest", *common]) == 0
    _, rows = query(
        settings, "select n_mentions from discovered_entities where entity_key = 'jens stoltenberg'"
    )
    assert rows and rows[0][0] > 0


def test_the_days_to_enrich_come_from_the_asset_events_or_the_form() -> None:
    events = [
        {"partition_date": "2024-07-10", "read": 5},
        {"backfilled_days": {"2024-07-02": {}, "2024-07-01": {}}},
    ]
    assert tasks.published_days(events) == ["2024-07-01", "2024-07-02", "2024-07-10"]
    assert tasks.published_days([], "2024-07-09") == ["2024-07-09"]
    assert tasks.published_days([]) == []


def test_discovered_entities_are_counted_beside_the_tracked_ones(published: Settings) -> None:
    tasks.run_enrich(DAY.isoformat(), published)
    tasks.run_build_warehouse(published)
    _, kinds = query(published, "select entity_kind, count(*) from entities group by 1 order by 1")
    assert [kind for kind, _ in kinds] == ["discovered", "tracked"]
    _, rows = query(
        published,
        "select entity_id, entity_kind, n_mentions from mentions_daily where entity_id in "
        "('nato', 'discovered:julianne smith', 'discovered:otan')",
    )
    counts = {entity_id: (kind, n) for entity_id, kind, n in rows}
    # OTAN is the watchlist's NATO: counted once, by the watchlist; a name it does not track is discovered
    assert counts["nato"][0] == "tracked" and "discovered:otan" not in counts
    _, per_article = query(published, "select count(*) from mentions where entity_id = 'discovered:otan'")
    assert per_article == [(0,)]
    julianne = [row for row in discovered(published) if row["entity_key"] == "julianne smith"]
    assert counts["discovered:julianne smith"] == ("discovered", len(julianne)) and julianne
    _, weekly = query(published, "select sum(n_mentions) from mentions_weekly where entity_kind = 'tracked'")
    _, daily = query(published, "select sum(n_mentions) from mentions_daily where entity_kind = 'tracked'")
    assert weekly == daily
