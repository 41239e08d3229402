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

Partition key: the `partition_date` typed in the trigger form, else the run's logical date, else
(a manual run triggered without one) yesterday, UTC. Re-running a day that was already ingested
replaces its partitions: trigger with that date, or Clear the day's run. `claim_day` takes the
day's lock (one writer per day: a CLI run of the same date fails this run at once instead of
interleaving with it) and the teardown `release_day` gives it back, whatever became of the run.
Each task writes its own staging files or lake partitions and hands on only paths, so any task
can be retried alone (a shard's output is written whole or not at all) and a re-run replaces the
day (web sources are replayed from the day's archive). More workers share the day by taking
shards. `publish` puts the day's counts on the `newsflow_articles` Asset event. Logic lives in
the `newsflow` package (`include/newsflow`); this file only wires it.
"""

from airflow.sdk import Param, chain, dag, task
from airflow.sdk.exceptions import AirflowFailException

from newsflow.dag_defaults import ARTICLES_ASSET, DEFAULT_ARGS, START_DATE

# Bounds concurrent HTTP fetching across runs and sources; created by `make demo` / `make airflow`.
HTTP_POOL = "newsflow_http"
# newsflow.pipeline whole-day steps run before publishing, after the per-shard pass.
CHECK_STEPS = {
    "find_duplicates": (
        "Find duplicates",
        "Marks URLs given twice, exact copies (content hash) and near-duplicate stories (MinHash LSH "
        "against the stored signatures of the last 30 days), from the day's processed shards.",
    ),
    "validate_batch": (
        "Validate (Great Expectations)",
        "Runs the Great Expectations suite on the day's articles; failing rows are quarantined with "
        "the expectations they failed. The full result is kept in the lake (`quality/`) and as Data "
        "Docs under `data/reports/quality/`.",
    ),
}


@dag(
    schedule="@daily",
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,  # DuckDB has a single writer
    description="News articles in, clean text, entity mentions over time in DuckDB out: one day per run.",
    doc_md=__doc__,
    tags=["newsflow"],
    params={
        "partition_date": Param(
            None,
            type=["null", "string"],
            format="date",
            title="Partition date",
            description="The day to ingest (YYYY-MM-DD). Empty: the run's logical date; a manual run "
            "without one takes yesterday (UTC). A day already ingested is replaced.",
        )
    },
    default_args=DEFAULT_ARGS,
)
def news_ingest():
    @task(
        task_display_name="Claim the day",
        doc_md="Resolves the partition date and takes the day's lock: one writer per day, so a CLI run "
        "of the same date fails this run at once instead of interleaving with it.",
    )
    def claim_day(params: dict | None = None, ds: str | None = None, run_id: str | None = None) -> str:
        from newsflow.pipeline import run_claim_day, run_partition_date
        from newsflow.store.locks import DayLockedError

        day = run_partition_date((params or {}).get("partition_date"), ds)
        try:
            run_claim_day(day, f"airflow:news_ingest:{run_id}")
        except DayLockedError as exc:
            raise AirflowFailException(str(exc)) from exc
        return day

    @task(
        task_display_name="Release the day", doc_md="Gives the day's lock back, whatever became of the run."
    )
    def release_day(day: str, run_id: str | None = None) -> None:
        from newsflow.pipeline import run_release_day

        run_release_day(day, f"airflow:news_ingest:{run_id}")

    @task(task_display_name="List sources", doc_md="The sources of `sources.yaml` (or the seeds folder).")
    def list_sources() -> list[str]:
        from newsflow.ingest.sources import load_sources
        from newsflow.settings import Settings

        return [source.name for source in load_sources(Settings.from_env())]

    @task(
        task_display_name="Collect",
        doc_md="Reads one source (a folder, or URL lists, feeds and sitemaps fetched politely and "
        "archived as WARC) into raw shards of at most 200 documents.",
        pool=HTTP_POOL,
        retries=3,
        map_index_template="{{ source_name }}",
    )
    def collect(source: str, day: str) -> list[str]:
        from airflow.sdk import get_current_context

        from newsflow.pipeline import run_collect_one

        get_current_context()["source_name"] = source  # names the mapped task instance in the UI
        try:
            return run_collect_one(source, day)
        except (ValueError, FileNotFoundError) as exc:  # configuration errors: retrying cannot help
            raise AirflowFailException(str(exc)) from exc

    @task(task_display_name="List shards", doc_md="The day's raw shards, one per process task.")
    def list_shards(day: str) -> list[str]:
        from newsflow.pipeline import run_list_shards

        return run_list_shards(day)

    @task(
        task_display_name="Process shard",
        doc_md="One pass per document: extract the article from HTML (trafilatura), clean boilerplate, "
        "detect the language, hash and sign it for duplicates, find gazetteer mentions and NER "
        "candidates. Logs documents/s and an ETA.",
        map_index_template="{{ shard_name }}",
    )
    def process_shard(shard: str) -> str:
        from airflow.sdk import get_current_context

        from newsflow.pipeline import process_one, shard_label
        from newsflow.settings import Settings

        get_current_context()["shard_name"] = shard_label(shard)
        return process_one(shard, Settings.from_env())

    @task
    def run_step(step: str, day: str) -> str:
        from newsflow.pipeline import run_step  # heavy imports stay out of DAG parsing

        return run_step(step, day)

    @task(
        task_display_name="Publish",
        doc_md="Replaces the day's lake partitions (articles, quarantine, mentions, candidates, "
        "signatures, fetch log), all or none. The day's counts go on the `newsflow_articles` Asset "
        "event and in this task's XCom.",
        outlets=[ARTICLES_ASSET],
    )
    def publish(day: str, outlet_events=None) -> dict[str, int]:
        from newsflow.pipeline import run_publish

        counts = run_publish(day)
        outlet_events[ARTICLES_ASSET].extra = {"partition_date": day, **counts}
        return counts

    @task(
        task_display_name="Build the warehouse",
        doc_md="Loads the new lake partitions into DuckDB and refreshes the models (incremental by week).",
    )
    def build_warehouse() -> list[str]:
        from newsflow.settings import Settings
        from newsflow.warehouse.build import build_warehouse

        return build_warehouse(Settings.from_env()).loaded

    @task(task_display_name="Render the report", doc_md="The mentions chart and page under `data/reports/`.")
    def render_report() -> str:
        from newsflow.settings import Settings
        from newsflow.warehouse.report import render_report

        return str(render_report(Settings.from_env())[0])

    @task(
        task_display_name="Check fetch health",
        doc_md="Fails the run, after publishing, when too many article fetches failed.",
        retries=0,
    )
    def check_fetch_health(day: str) -> str:
        from newsflow.pipeline import FetchHealthError, run_step

        try:
            return run_step("check_fetch_health", day)
        except FetchHealthError as exc:  # the same log gives the same share: no retry
            raise AirflowFailException(str(exc)) from exc

    def check_task(step: str):
        name, doc = CHECK_STEPS[step]
        # A day with no documents maps process_shard over nothing (skipped): it is still published.
        trigger_rule = "none_failed" if step == "find_duplicates" else "all_success"
        return run_step.override(task_id=step, task_display_name=name, doc_md=doc, trigger_rule=trigger_rule)

    day = claim_day()
    sources, shards = list_sources(), list_shards(day)
    day >> sources
    collect.partial(day=day).expand(source=sources) >> shards
    # find_duplicates must not hang off the setup task directly (its trigger rule is not
    # all_success), so it reads claim_day's date through a template rather than an XCom argument.
    checks = [
        check_task(step)(
            step, "{{ ti.xcom_pull(task_ids='claim_day') }}" if step == "find_duplicates" else day
        )
        for step in CHECK_STEPS
    ]
    published = publish(day)
    report, health = render_report(), check_fetch_health(day)
    chain(process_shard.expand(shard=shards), *checks, published, build_warehouse(), report)
    published >> health
    [report, health] >> release_day(day).as_teardown(setups=day)


news_ingest()
