"""DAG integrity (parse, owners, retries, tags, schedule, edges) and a real `dag.test()` run on the seeds."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from pathlib import Path
from urllib.parse import quote

import duckdb
import pendulum
import pytest

from newsflow.partition import partition_date
from newsflow.store import lake

from conftest import PROJECT_DIR

CHAIN = [
    "claim_day",
    "list_sources",
    "collect",
    "list_shards",
    "process_shard",
    "find_duplicates",
    "validate_batch",
    "publish",
]
AFTER_PUBLISH = {"build_warehouse", "check_fetch_health"}


@pytest.fixture(scope="module")
def dagbag(airflow_db: Path):
    from airflow.models import DagBag

    return DagBag(dag_folder=str(PROJECT_DIR / "dags"))


@pytest.fixture
def fresh_dagbag(airflow_db: Path):
    """DAGs parsed for one test: `dag.test(run_conf=…)` leaves the conf in the DAG object's params,
    so a later run of the shared `dagbag` without a conf would still see that partition date."""
    from airflow.models import DagBag

    return DagBag(dag_folder=str(PROJECT_DIR / "dags"))


def test_every_dag_file_imports_and_is_configured(dagbag) -> None:
    assert dagbag.import_errors == {}
    assert set(dagbag.dags) == {"news_ingest", "news_backfill", "news_entities"}
    assert dagbag.dags["news_ingest"].timetable.expression == "0 0 * * *"  # nightly
    assert dagbag.dags["news_backfill"].schedule is None  # on demand, from the trigger form
    # after every publish of either, on the Asset they update
    assert [asset.name for asset in dagbag.dags["news_entities"].timetable.asset_condition.objects] == [
        "newsflow_articles"
    ]
    for dag in dagbag.dags.values():
        assert dag.tags and dag.doc_md and dag.doc_md.startswith("## ") and dag.description
        assert dag.catchup is False and dag.max_active_runs == 1
        for task in dag.tasks:
            assert task.owner == "newsflow"
            # The health check is deterministic (same log, same share): retrying it cannot help.
            assert (
                task.retries >= 2 or task.task_id == "check_fetch_health"
            ) and task.retry_exponential_backoff


def test_news_ingest_wires_one_task_per_stage_and_the_lake_asset(dagbag) -> None:
    dag = dagbag.dags["news_ingest"]
    assert set(dag.task_ids) == {*CHAIN, *AFTER_PUBLISH, "render_report", "release_day"}
    for upstream, downstream in zip(CHAIN, CHAIN[1:], strict=False):
        assert downstream in dag.get_task(upstream).downstream_task_ids
    # Every task of the day takes its date from claim_day, which resolves it once (find_duplicates
    # through a template: a setup task's direct downstream must need all upstream successes).
    assert dag.get_task("claim_day").downstream_task_ids == {
        "list_sources",
        "collect",
        "list_shards",
        "validate_batch",
        "publish",
        "check_fetch_health",
        "release_day",
    }
    # The day's lock is taken first and given back by a teardown, whatever becomes of the run.
    assert dag.get_task("claim_day").is_setup and dag.get_task("release_day").is_teardown
    assert dag.get_task("release_day").upstream_task_ids == {
        "claim_day",
        "render_report",
        "check_fetch_health",
    }
    assert dag.get_task("publish").downstream_task_ids == AFTER_PUBLISH
    collect = dag.get_task("collect")
    assert collect.pool == "newsflow_http" and collect.retries == 3
    # The per-document work is one mapped task per shard, over the shards that collect wrote.
    assert (
        dag.get_task("process_shard").op_kwargs_expand_input.value["shard"].operator.task_id == "list_shards"
    )
    # A day without documents maps process_shard over nothing, and is still published.
    assert dag.get_task("find_duplicates").trigger_rule == "none_failed"
    assert dag.get_task("build_warehouse").downstream_task_ids == {"render_report"}
    assert [o.name for o in dag.get_task("publish").outlets] == ["newsflow_articles"]


def test_the_ui_reads_stages_not_function_names(dagbag) -> None:
    dag = dagbag.dags["news_ingest"]
    assert dag.description and "DuckDB" in dag.description
    names = {task.task_id: task.task_display_name for task in dag.tasks}
    assert (
        names["validate_batch"] == "Validate (Great Expectations)"
        and names["process_shard"] == "Process shard"
    )
    assert len(set(names.values())) == len(names) and all(name[0].isupper() for name in names.values())
    assert all(task.doc_md for task in dag.tasks)
    partition_date = dag.params.get_param("partition_date")
    assert partition_date.value is None and partition_date.schema["format"] == "date"


@pytest.fixture(scope="module")
def seeds_run(dagbag, tmp_path_factory: pytest.TempPathFactory):
    """One real run of news_ingest on the seeds: (the run, its data folder). The trigger form's
    partition date (2024-07-10) wins over the run's own day (2024-07-14, before its logical date)."""
    data_dir = tmp_path_factory.mktemp("dag_run")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("NEWSFLOW_DATA_DIR", str(data_dir))
        env.setenv("NEWSFLOW_SHARD_DOCS", "2")  # five seeds: three shards, three mapped tasks
        run = dagbag.dags["news_ingest"].test(
            logical_date=pendulum.datetime(2024, 7, 15, tz="UTC"), run_conf={"partition_date": "2024-07-10"}
        )
    return run, data_dir


def test_dag_run_on_the_seeds_fills_lake_and_warehouse(seeds_run) -> None:
    from airflow.utils.state import DagRunState

    run, tmp_path = seeds_run
    assert run.state == DagRunState.SUCCESS
    assert not list((tmp_path / "locks").glob("*.lock"))  # the teardown gave the day back
    shard_tasks = [ti for ti in run.get_task_instances() if ti.task_id == "process_shard"]
    assert sorted((ti.map_index, ti.rendered_map_index, ti.state) for ti in shard_tasks) == [
        (i, f"seeds/shard-{i:05d}.parquet", "success") for i in range(3)
    ]

    assert lake.partition_file(tmp_path / "lake", "articles", date(2024, 7, 10)).is_file()
    # The day's counts, where Airflow shows them: publish's XCom and the Asset event.
    counts = {"read": 5, "fetch_failures": 0, "clean": 5, "quarantined": 0, "duplicates": 0}
    published = run.get_task_instance("publish").xcom_pull(task_ids="publish")
    assert {k: published[k] for k in counts} == counts and published["mentions"] > 100
    assert asset_events("newsflow_articles")[-1] == {"partition_date": "2024-07-10", **published}
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from articles").fetchone() == (5,)
        assert con.execute("select count(*) from quarantine").fetchone() == (0,)
        counts = Counter(
            dict(
                con.execute(
                    "select entity_id, sum(n_mentions) from mentions join articles using (article_id) "
                    "where source_path like '004_%' group by entity_id"
                ).fetchall()
            )
        )
    # Counted by hand in seeds/004_…: title + "Jens Stoltenberg - OTAN" caption (once; its repeat is
    # removed) + body. "l'alliance" is not an alias; "têtes/bombes nucléaires" are nuclear weapons.
    assert counts["nato"] == 8  # title 1, caption 1, then 1 + 2 + 2 + 1 in paragraphs 1, 4, 5, 8
    assert counts["jens_stoltenberg"] == 4  # title, caption, paragraph 1, paragraph 3
    assert counts["nuclear_weapons"] == 9  # title 1, p1 1, p3 1 (têtes), p4 3, p5 1, p6 1, p8 1 (bombes)
    assert counts["russia"] == 3  # Russie p1, Russie p4, Moscou p6
    assert counts["china"] == 2 and counts["united_states"] == 2 and counts["ukraine"] == 2


def asset_events(name: str) -> list[dict]:
    """The extras of an Asset's events, oldest first, from the metadata DB."""
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        query = select(AssetEvent.extra).join(AssetModel, AssetEvent.asset_id == AssetModel.id)
        return list(session.scalars(query.where(AssetModel.name == name).order_by(AssetEvent.id)))


def test_mentions_page_shows_what_the_run_found(seeds_run) -> None:
    from api_login import login_token
    from fastapi.testclient import TestClient

    from newsflow.settings import Settings
    from newsflow.ui.app import create_app

    run, data_dir = seeds_run
    client = TestClient(create_app(Settings(data_dir=data_dir)), cookies={"_token": login_token()})
    page = client.get("/mentions")
    assert page.status_code == 200 and "<svg" in page.text
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        nato = con.execute("select n_mentions from mentions_daily where entity_id = 'nato'").fetchone()[0]
    assert f"NATO, 2024-07-10: {nato} mentions</title>" in page.text  # the chart's point, the run's count
    days = page.text.split("What each day holds")[1]
    # the day: 5 articles, no duplicate, nothing quarantined
    assert "<tr><td>2024-07-10</td><td class=num>5</td><td class=num>0</td><td class=num>0</td>" in days
    assert "Jens Stoltenberg" in page.text and "Latest stories" in page.text
    validation = next((data_dir / "reports" / "quality" / "validations").rglob("*.html"))
    link = quote(validation.relative_to(data_dir / "reports" / "quality").as_posix())
    assert f"href='quality/{link}'" in page.text
    assert client.get(f"/quality/{link}").status_code == 200  # the Data Docs are served beside the page
    by_ingest = client.get("/mentions", params={"entity": "china", "basis": "ingest"})
    assert "China: mentions per day" in by_ingest.text and "first ingest date" in by_ingest.text
    assert client.get("/mentions", params={"basis": "tomorrow"}).status_code == 422


def test_the_page_lists_every_airflow_run_failed_ones_included(
    seeds_run, fresh_dagbag, tmp_path: Path
) -> None:
    from airflow.utils.state import DagRunState
    from api_login import login_token
    from fastapi.testclient import TestClient

    from newsflow.settings import Settings
    from newsflow.ui.app import create_app

    succeeded, data_dir = seeds_run
    with pytest.MonkeyPatch.context() as env:
        env.setenv("NEWSFLOW_DATA_DIR", str(tmp_path))
        env.setenv("NEWSFLOW_SOURCE_DIR", str(tmp_path / "no such folder"))
        failed = fresh_dagbag.dags["news_ingest"].test(
            logical_date=pendulum.datetime(2024, 7, 21, tz="UTC"), run_conf={"partition_date": "2024-07-20"}
        )
    assert failed.state == DagRunState.FAILED
    client = TestClient(create_app(Settings(data_dir=data_dir)), cookies={"_token": login_token()})
    page = client.get("/mentions").text
    runs = page.split("Airflow runs of news_ingest and news_backfill")[1].split("<h2>")[0]
    rows = {row.split("</a>")[0].rsplit(">", 1)[-1]: row for row in runs.split("<tr>")[2:]}
    assert "failed" in rows[failed.run_id] and "2024-07-20" in rows[failed.run_id]
    assert "success" in rows[succeeded.run_id] and "2024-07-10" in rows[succeeded.run_id]
    assert "clean 5" in rows[succeeded.run_id]  # what publish returned
    # started when it ran (dag.test dates a run's start by its logical date, 2024-07-10), for seconds
    cells = re.findall(r"<td[^>]*>(.*?)</td>", rows[succeeded.run_id])
    started, duration = cells[4], int(cells[5].replace(",", ""))
    assert started == succeeded.run_after.strftime("%Y-%m-%d %H:%M") and 0 < duration < 3600
    assert f"href='../dags/news_ingest/runs/{failed.run_id}'" in runs.replace("&#x27;", "'")


def test_airflow_loads_the_plugin_with_its_page_in_the_navigation(airflow_db: Path) -> None:
    import json
    import os
    import subprocess
    import sys

    airflow = Path(sys.executable).with_name("airflow")
    listed = subprocess.run(
        [str(airflow), "plugins", "--output", "json"],
        check=True,
        capture_output=True,
        text=True,
        env=os.environ.copy(),
    )
    (plugin,) = [p for p in json.loads(listed.stdout) if p["name"] == "newsflow"]
    assert "/newsflow" in str(plugin["fastapi_apps"])
    assert "Mentions" in str(plugin["external_views"]) and "newsflow/mentions" in str(
        plugin["external_views"]
    )


def test_news_entities_enriches_the_day_news_ingest_published(seeds_run, dagbag) -> None:
    from airflow.utils.state import DagRunState

    _, data_dir = seeds_run
    with pytest.MonkeyPatch.context() as env:
        env.setenv("NEWSFLOW_DATA_DIR", str(data_dir))
        run = dagbag.dags["news_entities"].test(
            logical_date=pendulum.datetime(2024, 7, 11, 6, tz="UTC"),
            run_conf={"partition_date": "2024-07-10"},
        )
    assert run.state == DagRunState.SUCCESS
    enriched = [ti for ti in run.get_task_instances() if ti.task_id == "enrich_part"]
    assert [(ti.rendered_map_index, ti.state) for ti in enriched] == [("2024-07-10 rows 0-5", "success")]
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        (stoltenberg,) = con.execute(
            "select kind, entity_id from discovered_entities where entity_key = 'jens stoltenberg'"
        ).fetchall()
    assert stoltenberg == ("PER", "jens_stoltenberg")


def test_a_scheduled_run_covers_the_whole_day_before_it(dagbag) -> None:
    from airflow.serialization.encoders import coerce_to_core_timetable
    from airflow.timetables.base import DataInterval, TimeRestriction

    timetable = coerce_to_core_timetable(dagbag.dags["news_ingest"].timetable)
    start = pendulum.datetime(2024, 7, 1, tz="UTC")
    after_the_ninth = timetable.next_dagrun_info(
        last_automated_data_interval=DataInterval(start.add(days=8), start.add(days=9)),
        restriction=TimeRestriction(earliest=start, latest=None, catchup=True),
    )
    # The run of 2024-07-10 starts once that day is over and ingests it: its logical date, shown
    # with the run, is the day it ingests.
    assert after_the_ninth.run_after == pendulum.datetime(2024, 7, 11, tz="UTC")
    assert after_the_ninth.logical_date == pendulum.datetime(2024, 7, 10, tz="UTC")
    day = partition_date(None, after_the_ninth.data_interval.start, after_the_ninth.run_after)
    assert day == "2024-07-10"
    # Unpausing (no run yet, catchup off) starts the run of yesterday, a whole day, not of today.
    first = timetable.next_dagrun_info(
        last_automated_data_interval=None,
        restriction=TimeRestriction(earliest=start, latest=None, catchup=False),
    )
    yesterday = pendulum.now("UTC").date().subtract(days=1)
    assert partition_date(None, first.data_interval.start, first.run_after) == yesterday.isoformat()


# The tasks these runs run: they only resolve the day (taking and giving back its lock) and list
# what the mapped tasks expand over; every other task is marked successful instead of run.
ONLY_THE_DAY = r"(?!claim_day$|release_day$|list_sources$|list_shards$).*"


@pytest.mark.parametrize(
    ("logical_date", "run_after", "conf"),
    [
        # As the scheduler's midnight run of 2024-07-10 looks to its tasks (data interval: that day).
        (pendulum.datetime(2024, 7, 11, tz="UTC"), pendulum.datetime(2024, 7, 11, tz="UTC"), {}),
        # The trigger form's default (logical date: now), partition date left empty.
        (
            pendulum.datetime(2024, 7, 11, 14, 30, tz="UTC"),
            pendulum.datetime(2024, 7, 11, 14, 30, tz="UTC"),
            {"partition_date": None},
        ),
        # A run without a logical date (REST API, `"logical_date": null`): before it was triggered.
        (None, pendulum.datetime(2024, 7, 11, 23, 59, tz="UTC"), {}),
    ],
    ids=["scheduled", "form-default", "no-logical-date"],
)
def test_a_run_without_a_typed_date_ingests_the_whole_day_before_it(
    fresh_dagbag, tmp_path: Path, logical_date, run_after, conf
) -> None:
    from airflow.utils.state import DagRunState

    with pytest.MonkeyPatch.context() as env:
        env.setenv("NEWSFLOW_DATA_DIR", str(tmp_path))
        run = fresh_dagbag.dags["news_ingest"].test(
            logical_date=logical_date, run_after=run_after, run_conf=conf, mark_success_pattern=ONLY_THE_DAY
        )
    assert run.state == DagRunState.SUCCESS
    assert run.get_task_instance("claim_day").xcom_pull(task_ids="claim_day") == "2024-07-10"
    assert run_note(run) == "Partition date: 2024-07-10"  # the grid marks the run, its page says the day


def run_note(run) -> str | None:
    """The run's note as Airflow stores it."""
    from airflow.models import DagRun
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        found = select(DagRun).where(DagRun.dag_id == run.dag_id, DagRun.run_id == run.run_id)
        return session.scalars(found).one().note


def test_a_triggered_run_is_noted_as_the_scheduler_starts_it(seeds_run) -> None:
    """A run triggered as the REST API does it, then started as the scheduler starts a queued run
    (state running, then the listeners told, in its session, which it commits)."""
    from airflow.api.common.trigger_dag import trigger_dag
    from airflow.models import DagRun
    from airflow.utils.session import create_session
    from airflow.utils.state import DagRunState
    from airflow.utils.types import DagRunTriggeredByType

    with create_session() as session:
        queued = trigger_dag(
            "news_ingest",
            triggered_by=DagRunTriggeredByType.REST_API,
            logical_date=pendulum.datetime(2024, 7, 20, 9, tz="UTC"),
            run_after=pendulum.datetime(2024, 7, 20, 9, tz="UTC"),
            conf={"partition_date": None},  # the form left empty: the day before its logical date
            session=session,
        )
    try:
        assert run_note(queued) is None
        with create_session() as session:
            run = session.get(DagRun, queued.id)
            run.state = DagRunState.RUNNING
            run.notify_dagrun_state_changed(msg="started")
        assert run_note(queued) == "Partition date: 2024-07-19"
    finally:
        with create_session() as session:  # no other test expects a run left running
            session.delete(session.get(DagRun, queued.id))


def test_a_run_is_noted_with_the_typed_day_and_a_backfill_with_its_range(
    seeds_run, fresh_dagbag, tmp_path: Path
) -> None:
    from airflow.utils.state import DagRunState

    typed, _ = seeds_run
    assert run_note(typed) == "Partition date: 2024-07-10"  # typed: not the day before its logical date
    with pytest.MonkeyPatch.context() as env:
        env.setenv("NEWSFLOW_DATA_DIR", str(tmp_path))
        backfill = fresh_dagbag.dags["news_backfill"].test(
            run_conf={
                "warc": str(tmp_path / "none.warc.gz"),
                "date_from": "2024-07-01",
                "date_to": "2024-07-03",
            }
        )
    assert backfill.state == DagRunState.FAILED  # no such WARC file: noted all the same
    assert run_note(backfill) == "Partition dates: 2024-07-01 … 2024-07-03"
