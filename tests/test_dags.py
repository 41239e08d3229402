"""DAG integrity (parse, owners, retries, tags, schedule, edges) and a real `dag.test()` run on the seeds."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import duckdb
import pendulum
import pytest

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


def test_every_dag_file_imports_and_is_configured(dagbag) -> None:
    assert dagbag.import_errors == {}
    assert set(dagbag.dags) == {"news_ingest"}
    for dag in dagbag.dags.values():
        assert dag.tags and dag.doc_md and dag.doc_md.startswith("## ")
        assert dag.catchup is False and dag.max_active_runs == 1
        assert dag.schedule == "@daily" and dag.timetable.expression == "0 0 * * *"
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
        expected = {downstream, "release_day"} if upstream == "claim_day" else {downstream}
        assert dag.get_task(upstream).downstream_task_ids == expected
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


def test_dag_run_on_the_seeds_fills_lake_and_warehouse(
    dagbag, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from airflow.utils.state import DagRunState

    monkeypatch.setenv("NEWSFLOW_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("NEWSFLOW_SHARD_DOCS", "2")  # five seeds: three shards, three mapped tasks
    run = dagbag.dags["news_ingest"].test(logical_date=pendulum.datetime(2024, 7, 10, tz="UTC"))
    assert run.state == DagRunState.SUCCESS
    assert not list((tmp_path / "locks").glob("*.lock"))  # the teardown gave the day back
    shard_tasks = [ti for ti in run.get_task_instances() if ti.task_id == "process_shard"]
    assert sorted((ti.map_index, ti.rendered_map_index, ti.state) for ti in shard_tasks) == [
        (i, f"seeds/shard-{i:05d}.parquet", "success") for i in range(3)
    ]

    assert (tmp_path / "lake" / "articles" / "ingest_date=2024-07-10" / "part-0.parquet").is_file()
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
