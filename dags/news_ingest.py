"""## news_ingest
Nightly: read the source folder, extract and clean articles, detect language, mark duplicates,
validate with Great Expectations (failures go to the quarantine partition with their reasons),
publish the day's Parquet partition, extract entity mentions, then rebuild the DuckDB warehouse.

Partition key: the run's logical date. Each task writes its own staging file or lake partition and
hands on only its path, so any task can be retried alone and a re-run replaces the day.
Logic lives in the `newsflow` package (`include/newsflow`); this file only wires it.
"""

from datetime import timedelta

import pendulum
from airflow.sdk import Asset, dag, task

ARTICLES_ASSET = Asset("newsflow_articles")
STEPS = ("collect", "extract", "detect_languages", "find_duplicates", "validate_batch", "publish", "extract_mentions")


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
    def build_warehouse() -> str:
        from newsflow.settings import Settings
        from newsflow.warehouse import build_warehouse

        return str(build_warehouse(Settings.from_env()))

    previous = None
    for step in STEPS:
        outlets = [ARTICLES_ASSET] if step == "publish" else []
        current = run_step.override(task_id=step, outlets=outlets)(step)
        if previous is not None:
            previous >> current
        previous = current
    previous >> build_warehouse()


news_ingest()
