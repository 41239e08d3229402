"""## news_entities
After each publish: the open-world entities of the published days. Scheduled on the
`newsflow_articles` Asset (data-aware scheduling), so the nightly ingest is not held by NER and a
cluster can give NER its own workers. `published_days` reads the days from the triggering Asset
events (`news_ingest`'s partition date, `news_backfill`'s days) or, for a manual run, the trigger
form's partition date; `enrich` (mapped per day) finds the people, organisations and places spaCy
NER sees in the day's French and English articles, canonicalised per article, and replaces the
day's `discovered` partition; the warehouse is then refreshed: the mention models count the
discovered entities beside the watchlist's (`entity_kind`), and `discovered_entities` lists them. Re-running a day gives the same rows. Logic lives in
`newsflow.tasks`; this file only wires it.
"""

from airflow.sdk import chain, dag, task

from newsflow.dag_defaults import ARTICLES_ASSET, DEFAULT_ARGS, START_DATE, partition_date_param


@dag(
    schedule=[ARTICLES_ASSET],
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,  # DuckDB has a single writer
    description="The people, organisations and places NER finds in each published day, off the ingest path.",
    doc_md=__doc__,
    tags=["newsflow"],
    params={
        "partition_date": partition_date_param("A manual run: the published day to enrich (YYYY-MM-DD).")
    },
    default_args=DEFAULT_ARGS,
)
def news_entities():
    @task(task_display_name="Published days", doc_md="The days the triggering Asset events published.")
    def published_days(params: dict | None = None, triggering_asset_events=None) -> list[str]:
        from newsflow import tasks

        events = triggering_asset_events[ARTICLES_ASSET] if triggering_asset_events else []
        return tasks.published_days([event.extra for event in events], (params or {}).get("partition_date"))

    @task(
        task_display_name="Enrich a day",
        doc_md="spaCy NER (French and English) over the day's stored articles → the `discovered` partition.",
        map_index_template="{{ day }}",
    )
    def enrich(day: str) -> str:
        from newsflow import tasks

        return tasks.run_enrich(day)

    @task(task_display_name="Build the warehouse", doc_md="Loads the new `discovered` partitions.")
    def build_warehouse() -> list[str]:
        from newsflow import tasks

        return tasks.run_build_warehouse()

    chain(enrich.expand(day=published_days()), build_warehouse())


news_entities()
