"""newsflow's run notes: each run of news_ingest and news_backfill is noted with the day(s) it
ingests, which Airflow's grid marks (a run with a note) and the run's page shows.

A task cannot write its run's note in Airflow 3.3 (the execution API reads notes, never writes
them), and a run id is made before anything reads the run's form (the timetable's
`generate_run_id` is not given the conf, so a typed date could not be in it). A listener can: the
scheduler calls `on_dag_run_running` as it starts each run, scheduled or triggered, with the run in
its session, which it commits. `dag.test()` creates its run running, without that event, so the
note is also written as a run ends, if it has none yet. A note someone wrote is never replaced.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from airflow.listeners import hookimpl
from airflow.plugins_manager import AirflowPlugin

LOGGER = logging.getLogger(__name__)


def partition_note(
    dag_id: str, conf: dict[str, Any], interval_start: datetime | None, run_after: datetime
) -> str | None:
    """The note of a run: the day a news_ingest run ingests, by the rule its `claim_day` applies
    (the typed date, else the whole UTC day before the run), or a news_backfill run's range."""
    if dag_id == "news_ingest":
        from newsflow.partition import partition_date  # the rule's one home, a light module

        return f"Partition date: {partition_date(conf.get('partition_date'), interval_start, run_after)}"
    if dag_id == "news_backfill" and conf.get("date_from") and conf.get("date_to"):
        first, last = conf["date_from"], conf["date_to"]
        return f"Partition date: {first}" if first == last else f"Partition dates: {first} … {last}"
    return None


def note_partition(dag_run: Any) -> None:
    """Write the run's partition date as its note, unless it has a note, in the session that holds
    the run (the scheduler's, which commits it); a date that is not one (claim_day fails the run on
    it) leaves the note empty, said in the log."""
    from airflow import settings
    from airflow.models.dagrun import DagRunNote
    from sqlalchemy.orm import object_session

    # dag.test() detaches its run as its tasks run; its thread's scoped session commits the note.
    session = object_session(dag_run) or settings.get_session()()
    if session.get(DagRunNote, dag_run.id) is not None:
        return
    try:
        note = partition_note(
            dag_run.dag_id, dag_run.conf or {}, dag_run.data_interval_start, dag_run.run_after
        )
    except ValueError as exc:
        LOGGER.warning("%s run %s: no partition date note: %s", dag_run.dag_id, dag_run.run_id, exc)
        return
    if note:
        row = DagRunNote(content=note)
        row.dag_run_id = dag_run.id
        session.add(row)


class RunNotes:
    """The listener: the scheduler's run start, and a run's end for runs started otherwise."""

    @hookimpl
    def on_dag_run_running(self, dag_run: Any, msg: str) -> None:
        note_partition(dag_run)

    @hookimpl
    def on_dag_run_success(self, dag_run: Any, msg: str) -> None:
        note_partition(dag_run)

    @hookimpl
    def on_dag_run_failed(self, dag_run: Any, msg: str) -> None:
        note_partition(dag_run)


class NewsflowRunNotesPlugin(AirflowPlugin):
    name = "newsflow_run_notes"
    listeners = [RunNotes()]
