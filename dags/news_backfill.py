"""## news_backfill
Past days from web archives: WARC files others wrote, such as the Common Crawl CC-NEWS files a
user downloaded (`crawl-data/CC-NEWS/YYYY/MM/CC-NEWS-*.warc.gz`). Trigger it with the form: a WARC
location (file, folder or glob) and a date range.

`plan_days` indexes which days each file holds (one read per new or changed file); `claim_days`
takes every one of those days for the run and prepares each from every known file holding it;
`collect_day` (mapped per day) reads a day's HTML 200 responses by their WARC-Date into raw shards;
`process_shard` (mapped over every shard of every day) is the nightly per-document pass;
`publish_days` runs the whole-day steps (duplicates, validation, publish) day after day, oldest
first, as each day's duplicates and stories are decided against the days before it; the warehouse
is refreshed once; the teardown `release_days` gives the days back, whatever became of the run.

The run holds its days from `claim_days` to `release_days`, across every task and worker: one
lease per day owned by the run id, renewed by each task while it works, expiring 30 minutes after
the last renewal if the run dies without its teardown (an Airflow lock cannot rely on a process:
each task is another one, perhaps on another worker). A day another run holds fails `claim_days`
at once, saying who holds it and since when. Input errors (no WARC file, a bad date) fail a task
without retries; transient ones (a full disk, a lost connection) are retried.

A backfilled day is partitioned by its archive date and looks like a nightly day. Re-running a
file re-derives the days it holds and nothing else. Logic lives in `newsflow.tasks`; this file only
wires it.
"""

from airflow.sdk import Param, chain, dag, task
from airflow.sdk.exceptions import AirflowFailException

from newsflow.dag_defaults import ARTICLES_ASSET, DEFAULT_ARGS, START_DATE, date_param


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
        "date_from": date_param("From", "The first archive day to backfill: its partition date."),
        "date_to": date_param("To", "The last archive day to backfill, included."),
    },
    default_args=DEFAULT_ARGS,
)
def news_backfill():
    @task(
        task_display_name="Plan the days",
        doc_md="Indexes the archives (days per file, cached): the days in range they hold.",
    )
    def plan_days(params: dict | None = None) -> list[str]:
        from newsflow import tasks

        params = params or {}
        try:
            return tasks.run_backfill_plan(params["warc"], params["date_from"], params["date_to"])
        except tasks.INPUT_ERRORS as exc:  # the same form fails the same way: no retry
            raise AirflowFailException(str(exc)) from exc

    @task(
        task_display_name="Claim the days",
        doc_md="Takes every day of the run (fails at once, naming the holder, if another run has one), "
        "then prepares each from every known file holding it.",
    )
    def claim_days(days: list[str], params: dict | None = None, run_id: str | None = None) -> list[str]:
        from newsflow import tasks

        try:
            return tasks.run_backfill_claim((params or {})["warc"], days, str(run_id))
        except tasks.INPUT_ERRORS as exc:
            raise AirflowFailException(str(exc)) from exc

    @task(
        task_display_name="Collect a day",
        doc_md="The day's HTML 200 responses (by WARC-Date) into raw shards.",
        map_index_template="{{ day }}",
    )
    def collect_day(day: str, days: list[str], run_id: str | None = None) -> list[str]:
        from newsflow import tasks

        return tasks.run_backfill_collect(day, days, str(run_id))

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

        context = get_current_context()
        context["shard_name"] = shard_label(shard, with_day=True)
        # a retry may follow a document that killed this task's process: isolate it this time
        retry = context["ti"].try_number > 1
        return tasks.run_backfill_process_shard(shard, days, str(run_id), retry=retry)

    # A range without documents maps process_shard over nothing (skipped): the days are still
    # published. A task with this trigger rule must not hang off the setup task claim_days.
    @task(
        task_display_name="Publish the days",
        doc_md="Duplicates, validation and publishing, day after day, oldest first; the days' counts.",
        outlets=[ARTICLES_ASSET],
        trigger_rule="none_failed",
    )
    def publish_days(
        days: list[str], run_id: str | None = None, outlet_events=None
    ) -> dict[str, dict[str, int]]:
        from newsflow import tasks

        counts = tasks.run_backfill_publish(days, str(run_id))
        outlet_events[ARTICLES_ASSET].extra = {"backfilled_days": counts}
        return counts

    @task(task_display_name="Build the warehouse", doc_md="Loads the new partitions once, at the end.")
    def build_warehouse() -> list[str]:
        from newsflow import tasks

        return tasks.run_build_warehouse()

    @task(task_display_name="Release the days", doc_md="Gives the run's days back, whatever became of it.")
    def release_days(days: list[str], run_id: str | None = None) -> None:
        from newsflow import tasks

        tasks.run_backfill_release(days, str(run_id))

    days = plan_days()
    claimed = claim_days(days)
    shards = all_shards(collect_day.partial(days=days).expand(day=claimed))
    built = build_warehouse()
    chain(process_shard.partial(days=claimed).expand(shard=shards), publish_days(days), built)
    built >> release_days(days).as_teardown(setups=claimed)


news_backfill()
