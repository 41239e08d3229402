"""## news_ingest
Nightly: collect every configured source (one mapped task per source: read a folder, or fetch URL
lists, RSS/Atom feeds and sitemaps politely, archiving every response as WARC) into raw shards of
bounded size (`NEWSFLOW_SHARD_DOCS` documents, `NEWSFLOW_SHARD_BYTES`); run the per-document work on
each shard (one mapped task per shard: extract and clean, detect the language, hash and sign for
duplicates, watchlist mentions; NER runs later, in news_entities); then, on the day's columns, mark URL and exact
duplicates and near-duplicate stories against the stored signatures, validate with Great
Expectations (failures go to the quarantine partition with their reasons), publish the day's
Parquet partitions, load them into DuckDB and render the mentions chart (`data/reports/`).
`check_fetch_health` fails the run, after publishing, when too many article fetches failed.

Partition key, one rule for the schedule, the trigger form and the CLI: the `partition_date`
typed in the form, else the last whole UTC day before the run, the one its data interval covers:
the nightly run at midnight ingests the day that just ended (its logical date), a manual run the
day before its logical date (or before it was triggered, if it has none). Re-running a day that
was already ingested replaces its partitions: trigger with that date, or Clear the day's run. `claim_day` takes the
day's lock (one writer per day: a CLI run of the same date fails this run at once instead of
interleaving with it) and the teardown `release_day` gives it back, whatever became of the run.
Each task writes its own staging files or lake partitions and hands on only paths, so any task
can be retried alone (a shard's output is written whole or not at all) and a re-run replaces the
day (web sources are replayed from the day's archive). More workers share the day by taking
shards. `publish` puts the day's counts on the `newsflow_articles` Asset event. Logic lives in
`newsflow.tasks` (`include/newsflow`); this file only wires it.
"""

from airflow.sdk import chain, dag, task
from airflow.sdk.exceptions import AirflowFailException

from newsflow.dag_defaults import (
    ARTICLES_ASSET,
    DEFAULT_ARGS,
    NIGHTLY,
    PARTITION_DATE_RULE,
    START_DATE,
    partition_date_param,
)
from newsflow.partition import partition_date

# Bounds concurrent HTTP fetching across runs and sources; created by `make demo` / `make airflow`.
HTTP_POOL = "newsflow_http"


@dag(
    schedule=NIGHTLY,  # the run of day D starts at midnight ending D
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,  # DuckDB has a single writer
    description="News articles in, clean text, entity mentions over time in DuckDB out: one day per run.",
    doc_md=__doc__,
    tags=["newsflow"],
    params={"partition_date": partition_date_param(PARTITION_DATE_RULE)},
    default_args=DEFAULT_ARGS,
)
def news_ingest():
    @task(
        task_display_name="Claim the day",
        doc_md="Resolves the partition date and takes the day's lock: one writer per day, so a CLI run "
        "of the same date fails this run at once instead of interleaving with it.",
    )
    def claim_day(
        params: dict | None = None, data_interval_start=None, dag_run=None, run_id: str | None = None
    ) -> str:
        from newsflow import tasks
        from newsflow.store.locks import DayLockedError

        requested = (params or {}).get("partition_date")
        day = partition_date(requested, data_interval_start, dag_run.run_after)
        try:
            tasks.run_claim_day(day, f"airflow:news_ingest:{run_id}")
        except DayLockedError as exc:
            raise AirflowFailException(str(exc)) from exc
        return day

    @task(
        task_display_name="Release the day", doc_md="Gives the day's lock back, whatever became of the run."
    )
    def release_day(day: str, run_id: str | None = None) -> None:
        from newsflow import tasks

        tasks.run_release_day(day, f"airflow:news_ingest:{run_id}")

    @task(task_display_name="List sources", doc_md="The sources of `sources.yaml` (or the seeds folder).")
    def list_sources() -> list[str]:
        from newsflow import tasks

        return tasks.run_list_sources()

    @task(
        task_display_name="Collect",
        doc_md="Reads one source (a folder, or URL lists, feeds and sitemaps fetched politely and "
        "archived as WARC) into raw shards.",
        pool=HTTP_POOL,
        retries=3,
        map_index_template="{{ source_name }}",
    )
    def collect(source: str, day: str) -> list[str]:
        from airflow.sdk import get_current_context

        from newsflow import tasks

        get_current_context()["source_name"] = source  # names the mapped task instance in the UI
        try:
            return tasks.run_collect(source, day)
        except (ValueError, FileNotFoundError) as exc:  # configuration errors: retrying cannot help
            raise AirflowFailException(str(exc)) from exc

    @task(task_display_name="List shards", doc_md="The day's raw shards, one per process task.")
    def list_shards(day: str) -> list[str]:
        from newsflow import tasks

        return tasks.run_list_shards(day)

    @task(
        task_display_name="Process shard",
        doc_md="One pass per document: extract the article from HTML (trafilatura), clean boilerplate, "
        "detect the language, hash and sign it for duplicates, find watchlist mentions. "
        "Logs documents/s and an ETA.",
        map_index_template="{{ shard_name }}",
    )
    def process_shard(shard: str) -> str:
        from airflow.sdk import get_current_context

        from newsflow import tasks
        from newsflow.day.staging import shard_label

        context = get_current_context()
        context["shard_name"] = shard_label(shard)
        # a retry may follow a document that killed this task's process: isolate it this time
        return tasks.run_process_shard(shard, retry=context["ti"].try_number > 1)

    # A day without documents maps process_shard over nothing (skipped): it is still published. A
    # task with this trigger rule must not hang off the setup task claim_day, so it reads the day
    # through a template rather than an XCom argument.
    @task(
        task_display_name="Find duplicates",
        doc_md="Marks URLs given twice, exact copies (content hash) and near-duplicate stories (MinHash "
        "LSH against the stored signatures of the story window), from the day's processed shards.",
        trigger_rule="none_failed",
    )
    def find_duplicates(day: str) -> str:
        from newsflow import tasks

        return tasks.run_find_duplicates(day)

    @task(
        task_display_name="Validate (Great Expectations)",
        doc_md="Runs the Great Expectations suite on the day's articles; failing rows are quarantined "
        "with the expectations they failed. The full result is kept in the lake (`quality/`) and as "
        "Data Docs under `data/reports/quality/`.",
    )
    def validate_batch(day: str) -> str:
        from newsflow import tasks

        return tasks.run_validate_batch(day)

    @task(
        task_display_name="Publish",
        doc_md="Replaces the day's lake partitions (articles, quarantine, mentions, "
        "signatures, templates, fetch log), all or none. The day's counts go on the "
        "`newsflow_articles` Asset event and in this task's XCom.",
        outlets=[ARTICLES_ASSET],
    )
    def publish(day: str, outlet_events=None) -> dict[str, int]:
        from newsflow import tasks

        counts = tasks.run_publish(day)
        outlet_events[ARTICLES_ASSET].extra = {"partition_date": day, **counts}
        return counts

    @task(
        task_display_name="Build the warehouse",
        doc_md="Loads the new lake partitions into DuckDB and refreshes the models (incremental by week).",
    )
    def build_warehouse() -> list[str]:
        from newsflow import tasks

        return tasks.run_build_warehouse()

    @task(task_display_name="Render the report", doc_md="The mentions chart and page under `data/reports/`.")
    def render_report() -> str:
        from newsflow import tasks

        return tasks.run_render_report()

    @task(
        task_display_name="Check fetch health",
        doc_md="Fails the run, after publishing, when too many article fetches failed.",
        retries=0,
    )
    def check_fetch_health(day: str) -> float:
        from newsflow import tasks
        from newsflow.day.steps import FetchHealthError

        try:
            return tasks.run_check_fetch_health(day)
        except FetchHealthError as exc:  # the same log gives the same share: no retry
            raise AirflowFailException(str(exc)) from exc

    day = claim_day()
    sources, shards = list_sources(), list_shards(day)
    day >> sources
    collect.partial(day=day).expand(source=sources) >> shards
    published = publish(day)
    report, health = render_report(), check_fetch_health(day)
    chain(
        process_shard.expand(shard=shards),
        find_duplicates("{{ ti.xcom_pull(task_ids='claim_day') }}"),
        validate_batch(day),
        published,
        build_warehouse(),
        report,
    )
    published >> health
    [report, health] >> release_day(day).as_teardown(setups=day)


news_ingest()
