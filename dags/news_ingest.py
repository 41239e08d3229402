"""## news_ingest
Nightly: read the source folder, extract and clean articles, detect language, mark exact duplicates
and near-duplicate stories, validate with Great Expectations (failures go to the quarantine
partition with their reasons), publish the day's Parquet partition, extract gazetteer mentions and
NER entity candidates, then load the new partitions into DuckDB and render the mentions chart
(`data/reports/mentions.png`, `mentions.html`).

Partition key: the run's logical date. Each task writes its own staging file or lake partition and
hands on only its path, so any task can be retried alone and a re-run replaces the day.
Logic lives in the `newsflow` package (`include/newsflow`); this file only wires it.
"""

from datetime import timedelta

import pendulum
from airflow.sdk import Asset, chain, dag, task

ARTICLES_ASSET = Asset("newsflow_articles")
# newsflow.pipeline step names: a chain up to publish, then two independent readers of the partition.
CHAIN_STEPS = ("collect", "extract", "detect_languages", "find_duplicates", "validate_batch", "publish")
PARALLEL_STEPS = ("extract_mentions", "discover_candidates")


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

    def step_task(step: str):
        outlets = [ARTICLES_ASSET] if step == "publish" else []
        return run_step.override(task_id=step, outlets=outlets)(step)

    chain(
        *(step_task(step) for step in CHAIN_STEPS),
        [step_task(step) for step in PARALLEL_STEPS],
        build_warehouse(),
        render_report(),
    )


news_ingest()
