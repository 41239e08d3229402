"""## news_ingest
Nightly: collect every configured source (one mapped task per source: read a folder, or fetch URL
lists, RSS/Atom feeds and sitemaps politely, archiving every response as WARC) into raw shards of
at most 200 documents; run the per-document work on each shard (one mapped task per shard:
extract and clean, detect language, hash and sign for duplicates, gazetteer mentions and NER
candidates); then, on the day's columns, mark URL and exact duplicates and near-duplicate stories
against the stored signatures, validate with Great Expectations (failures go to the quarantine
partition with their reasons), publish the day's Parquet partitions, load them into DuckDB and
render the mentions chart (`data/reports/mentions.png`, `mentions.html`). `check_fetch_health`
fails the run, after publishing, when too many article fetches failed.

Partition key: the run's logical date. `claim_day` takes the day's lock (one writer per day: a
CLI run of the same date fails this run at once instead of interleaving with it) and the teardown
`release_day` gives it back, whatever became of the run. Each task writes its own staging files or lake partitions
and hands on only paths, so any task can be retried alone (a shard's output is written whole or
not at all) and a re-run replaces the day (web sources are replayed from the day's archive). More
workers share the day by taking shards. Logic lives in the `newsflow` package
(`include/newsflow`); this file only wires it.
"""

from datetime import timedelta

import pendulum
from airflow.sdk import Asset, chain, dag, task
from airflow.sdk.exceptions import AirflowFailException

ARTICLES_ASSET = Asset("newsflow_articles")
# Bounds concurrent HTTP fetching across runs and sources; created by `make demo` / `make airflow`.
HTTP_POOL = "newsflow_http"
# newsflow.pipeline whole-day steps, in order, after the per-shard pass.
DAY_STEPS = ("find_duplicates", "validate_batch", "publish")


@dag(
    schedule="@daily",
    start_date=pendulum.datetime(2024, 7, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,  # DuckDB has a single writer
    doc_md=__doc__,
    tags=["newsflow"],
    default_args={
        "owner": "newsflow",
        "retries": 2,
        "retry_delay": timedelta(minutes=2),
        "retry_exponential_backoff": True,
    },
)
def news_ingest():
    @task
    def claim_day(ds: str | None = None, run_id: str | None = None) -> str:
        from newsflow.locks import DayLockedError
        from newsflow.pipeline import run_claim_day

        try:  # one writer per day: a CLI run of the same date makes this run fail, not interleave
            return run_claim_day(ds, f"airflow:news_ingest:{run_id}")
        except DayLockedError as exc:
            raise AirflowFailException(str(exc)) from exc

    @task
    def release_day(ds: str | None = None, run_id: str | None = None) -> None:
        from newsflow.pipeline import run_release_day

        run_release_day(ds, f"airflow:news_ingest:{run_id}")

    @task
    def list_sources() -> list[str]:
        from newsflow.settings import Settings
        from newsflow.sources import load_sources

        return [source.name for source in load_sources(Settings.from_env())]

    @task(pool=HTTP_POOL, retries=3, map_index_template="{{ source_name }}")
    def collect(source: str, ds: str | None = None) -> list[str]:
        from airflow.sdk import get_current_context

        from newsflow.pipeline import run_collect_one

        get_current_context()["source_name"] = source  # names the mapped task instance in the UI
        try:
            return run_collect_one(source, ds)
        except (ValueError, FileNotFoundError) as exc:  # configuration errors: retrying cannot help
            raise AirflowFailException(str(exc)) from exc

    @task
    def list_shards(ds: str | None = None) -> list[str]:
        from newsflow.pipeline import run_list_shards

        return run_list_shards(ds)

    @task(map_index_template="{{ shard_name }}")
    def process_shard(shard: str) -> str:
        from pathlib import Path

        from airflow.sdk import get_current_context

        from newsflow.pipeline import process_one
        from newsflow.settings import Settings

        get_current_context()["shard_name"] = "/".join(Path(shard).parts[-2:])  # source/shard-N
        return process_one(shard, Settings.from_env())

    @task
    def run_step(step: str, ds: str | None = None) -> str:
        from newsflow.pipeline import run_step  # heavy imports stay out of DAG parsing

        return run_step(step, ds)

    @task
    def build_warehouse() -> list[str]:
        from newsflow.settings import Settings
        from newsflow.warehouse import build_warehouse

        return build_warehouse(Settings.from_env()).loaded

    @task
    def render_report() -> str:
        from newsflow.report import render_report
        from newsflow.settings import Settings

        return str(render_report(Settings.from_env())[0])

    @task(retries=0)
    def check_fetch_health(ds: str | None = None) -> str:
        from newsflow.pipeline import FetchHealthError, run_step

        try:
            return run_step("check_fetch_health", ds)
        except FetchHealthError as exc:  # the same log gives the same share: no retry
            raise AirflowFailException(str(exc)) from exc

    def day_task(step: str):
        outlets = [ARTICLES_ASSET] if step == "publish" else []
        # A day with no documents maps process_shard over nothing (skipped): it is still published.
        trigger_rule = "none_failed" if step == DAY_STEPS[0] else "all_success"
        return run_step.override(task_id=step, outlets=outlets, trigger_rule=trigger_rule)(step)

    claim, sources, shards = claim_day(), list_sources(), list_shards()
    claim >> sources
    collect.expand(source=sources) >> shards
    day_tasks = [day_task(step) for step in DAY_STEPS]
    report, health = render_report(), check_fetch_health()
    chain(process_shard.expand(shard=shards), *day_tasks, build_warehouse(), report)
    day_tasks[-1] >> health
    [report, health] >> release_day().as_teardown(setups=claim)


news_ingest()
