"""## news_entities
After each publish: the open-world entities of the published days. Scheduled on the
`newsflow_articles` Asset (data-aware scheduling), so the nightly ingest is not held by NER and a
cluster can give NER its own workers. `published_days` reads the days from the triggering Asset
events (`news_ingest`'s partition date, `news_backfill`'s days) or, for a manual run, the trigger
form's partition date; `plan_parts` cuts each day's stored articles into parts of 1,000, `enrich_part`
(mapped over the parts, so a cluster spreads NER over its workers) finds the people, organisations
and places spaCy NER sees in their French and English articles, canonicalised per article, and
`publish` replaces each day's `discovered` partition with its parts, all or none; the warehouse is then refreshed: the mention models count the
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
        task_display_name="Plan NER",
        doc_md="Cuts each day's stored articles into parts: what NER is mapped over.",
    )
    def plan_parts(days: list[str]) -> list[dict]:
        from newsflow import tasks

        return tasks.run_plan_enrich(days)

    @task(
        task_display_name="NER over a part",
        doc_md="spaCy NER (French and English) over one part of a day's stored articles, into staging.",
        map_index_template="{{ part['day'] }} rows {{ part['start'] }}-{{ part['stop'] }}",
    )
    def enrich_part(part: dict) -> str:
        from newsflow import tasks

        return tasks.run_enrich_part(part)

    @task(
        task_display_name="Publish discovered",
        doc_md="Replaces each day's `discovered` partition with its parts, under the day's lock.",
    )
    def publish(parts: list[dict]) -> list[str]:
        from newsflow import tasks

        return tasks.run_publish_enrich(parts)

    @task(task_display_name="Build the warehouse", doc_md="Loads the new `discovered` partitions.")
    def build_warehouse() -> list[str]:
        from newsflow import tasks

        return tasks.run_build_warehouse()

    parts = plan_parts(published_days())
    chain(enrich_part.expand(part=parts), publish(parts), build_warehouse())


news_entities()
