"""What newsflow's DAGs share: the lake's Asset, the start date and the task defaults (DAG files only)."""

from datetime import timedelta

import pendulum
from airflow.sdk import Asset

# Published day partitions; news_ingest and news_backfill both produce it.
ARTICLES_ASSET = Asset("newsflow_articles")
START_DATE = pendulum.datetime(2024, 7, 1, tz="UTC")
DEFAULT_ARGS = {
    "owner": "newsflow",
    "retries": 2,
    "retry_delay": timedelta(minutes=2),
    "retry_exponential_backoff": True,
}
