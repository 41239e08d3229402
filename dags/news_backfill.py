"""## news_backfill
Past days from web archives: WARC files others wrote, such as the Common Crawl CC-NEWS files a
user downloaded (`crawl-data/CC-NEWS/YYYY/MM/CC-NEWS-*.warc.gz`). Trigger it with the form: a WARC
location (file, folder or glob) and a date range.

`plan_days` indexes which days each file holds (one read per new or changed file) and prepares
each day in range that the files touch, from every known file holding it; `collect_day` (mapped
per day) reads a day's HTML 200 responses by their WARC-Date into raw shards; `process_shard`
(mapped over every shard of every day) is the nightly per-document pass; `publish_days` runs the
whole-day steps (duplicates, validation, publish) day after day, oldest first, as each day's
duplicates and stories are decided against the days before it; the warehouse is refreshed once.
A backfilled day is partitioned by its archive date and looks like a nightly day. Re-running a
file re-derives the days it holds and nothing else. Logic lives in `newsflow.tasks`; this file only
wires it.
"""

from airflow.sdk import Param, chain, dag, task

from newsflow.dag_defaults import ARTICLES_ASSET, DEFAULT_ARGS, START_DATE


@dag(
    schedule=None,
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,  # one writer for the lake and DuckDB
    description="Past days from WARC files (e.g. CC-NEWS), partitioned by archive date, through the nightly stages.",
    doc_md=__doc__,
    tags=["newsflow"],
    params={
        "warc": Param(
            "", type="string", minLength=1, title="WARC files", description="A file, a folder or a glob."
        ),
        "date_from": Param(None, type=["null", "string"], format="date", title="From"),
        "date_to": Param(None, type=["null", "string"], format="date", title="To"),
    },
    default_args=DEFAULT_ARGS,
)
def news_backfill():
    @task(
        task_display_name="Plan the days",
        doc_md="Indexes the archives (days per file, cached) and prepares each day in range.",
    )
    def plan_days(params: dict | None = None) -> list[str]:
        from newsflow import tasks

        params = params or {}
        return tasks.run_backfill_plan(params["warc"], params["date_from"], params["date_to"])

    @task(
        task_display_name="Collect a day",
        doc_md="The day's HTML 200 responses (by WARC-Date) into raw shards.",
        map_index_template="{{ day }}",
    )
    def collect_day(day: str) -> list[str]:
        from newsflow import tasks

        return tasks.run_backfill_collect(day)

    @task(task_display_name="List shards", doc_md="Every day's raw shards, one per process task.")
    def all_shards(shards_per_day: list[list[str]]) -> list[str]:
        return [shard for shards in shards_per_day for shard in shards]

    @task(
        task_display_name="Process shard",
        doc_md="The nightly per-document pass: extract, clean, language, hashes, watchlist mentions.",
        map_index_template="{{ shard_name }}",
    )
    def process_shard(shard: str, days: list[str], run_id: str | None = None) -> str:
        from airflow.sdk import get_current_context

        from newsflow import tasks
        from newsflow.day.staging import shard_label

        get_current_context()["shard_name"] = shard_label(shard, with_day=True)
        return tasks.run_process_shard(shard)

    @task(
        task_display_name="Publish the days",
        doc_md="Duplicates, validation and publishing, day after day, oldest first; the days' counts.",
        outlets=[ARTICLES_ASSET],
        trigger_rule="none_failed",
    )
    def publish_days(days: list[str], outlet_events=None) -> dict[str, dict[str, int]]:
        from newsflow import tasks

        counts = tasks.run_backfill_publish(days)
        outlet_events[ARTICLES_ASSET].extra = {"backfilled_days": counts}
        return counts

    @task(task_display_name="Build the warehouse", doc_md="Loads the new partitions once, at the end.")
    def build_warehouse() -> list[str]:
        from newsflow import tasks

        return tasks.run_build_warehouse()

    days = plan_days()
    shards = all_shards(collect_day.expand(day=days))
    chain(process_shard.expand(shard=shards), publish_days(days), build_warehouse())


news_backfill()
