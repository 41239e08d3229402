"""What newsflow's DAGs share: the lake's Asset, the start date, the nightly timetable, the task
defaults and the trigger form's date fields (DAG files only)."""

from datetime import timedelta

import pendulum
from airflow.sdk import Asset, CronDataIntervalTimetable, Param

# Published day partitions; news_ingest and news_backfill produce it, news_entities reads it.
ARTICLES_ASSET = Asset("newsflow_articles")
START_DATE = pendulum.datetime(2024, 7, 1, tz="UTC")
# A nightly run covers one whole UTC day: the run of day D (its logical date and data interval
# start) starts at midnight ending D, so it never ingests a day still in progress. A plain
# "@daily" is a trigger timetable in Airflow 3: its run at midnight would be dated the new day.
NIGHTLY = CronDataIntervalTimetable("0 0 * * *", timezone="UTC")
# news_ingest's rule, shown on its trigger form (`newsflow.partition.partition_date` applies it).
PARTITION_DATE_RULE = (
    "The day to ingest (YYYY-MM-DD). Empty: the last whole UTC day before the run, the one its data "
    "interval covers: for the nightly run, the day that just ended; for a manual run, the day before "
    "its logical date (the form's default logical date is now), or before it was triggered if it has "
    "none. A day already ingested is replaced."
)
DEFAULT_ARGS = {
    "owner": "newsflow",
    "retries": 2,
    "retry_delay": timedelta(minutes=2),
    "retry_exponential_backoff": True,
}


def date_param(title: str, description: str) -> Param:
    """An optional date field of a trigger form: a date picker, YYYY-MM-DD."""
    return Param(None, type=["null", "string"], format="date", title=title, description=description)


def partition_date_param(description: str) -> Param:
    """The trigger form's optional "Partition date" field, with what it means for a DAG."""
    return date_param("Partition date", description)
