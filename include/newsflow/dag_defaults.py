"""What newsflow's DAGs share: the lake's Asset, the start date, the task defaults and the trigger
form's partition date (DAG files only)."""

from datetime import timedelta

import pendulum
from airflow.sdk import Asset, Param

# Published day partitions; news_ingest and news_backfill produce it, news_entities reads it.
ARTICLES_ASSET = Asset("newsflow_articles")
START_DATE = pendulum.datetime(2024, 7, 1, tz="UTC")
DEFAULT_ARGS = {
    "owner": "newsflow",
    "retries": 2,
    "retry_delay": timedelta(minutes=2),
    "retry_exponential_backoff": True,
}


def partition_date_param(description: str) -> Param:
    """The trigger form's optional "Partition date" field (YYYY-MM-DD), with what it means for a DAG."""
    return Param(
        None, type=["null", "string"], format="date", title="Partition date", description=description
    )
