"""The operator's view: one row per Airflow run of news_ingest and news_backfill, running and failed
ones included, with the day it ingests, when it started, how long it took, what it published and a
link to its grid.

Read from Airflow's metadata database through Airflow's own models, inside the api-server that
serves this page: calling the REST API back would need the server's public URL, which a proxy hides.
The partition date and counts are the runs' own XComs (`claim_day`, `publish`, `publish_days`),
else the run's conf.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from newsflow.ui.tables import Table

RUN_DAGS = ("news_ingest", "news_backfill")
RUNS_LISTED = 30
# The tasks whose return values say what a run ingested.
_RESULT_TASKS = ("claim_day", "publish", "publish_days")


def airflow_runs(limit: int = RUNS_LISTED) -> Table:
    """The latest runs of the ingest and backfill DAGs, newest first (links: each run's grid)."""
    from airflow.models import DagRun
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        runs = session.scalars(
            select(DagRun).where(DagRun.dag_id.in_(RUN_DAGS)).order_by(DagRun.run_after.desc()).limit(limit)
        ).all()
        stored = session.scalars(
            select(XComModel).where(
                XComModel.dag_id.in_(RUN_DAGS),
                XComModel.run_id.in_([run.run_id for run in runs]),
                XComModel.task_id.in_(_RESULT_TASKS),
                XComModel.key == "return_value",
            )
        ).all()
        returned = {(xcom.run_id, xcom.task_id): XComModel.deserialize_value(xcom) for xcom in stored}
        rows = [_row(run, returned) for run in runs]
    return Table(
        "airflow_runs",
        ["dag", "run", "state", "partition_date", "started", "duration_s", "published"],
        rows,
        [f"../dags/{run.dag_id}/runs/{run.run_id}" for run in runs],
        link_column=1,
    )


def prepare() -> None:
    """Configure SQLAlchemy's mappings of Airflow's models now, at the api-server's start: the first
    query through them does it otherwise, ~0.3-0.5 s of the first page view."""
    from airflow.models import DagRun  # noqa: F401  # the models the runs table reads, mapped now
    from airflow.models.xcom import XComModel  # noqa: F401
    from sqlalchemy.orm import configure_mappers

    configure_mappers()


def _row(run: Any, returned: dict[tuple[str, str], Any]) -> tuple[object, ...]:
    started, ended = _started(run), run.end_date
    duration = ((ended or datetime.now(UTC)) - started).total_seconds() if started else None
    return (
        run.dag_id,
        run.run_id,
        str(run.state),
        _partition(run, returned),
        started.strftime("%Y-%m-%d %H:%M") if started else None,
        round(duration) if duration is not None else None,
        _published(returned.get((run.run_id, "publish")) or returned.get((run.run_id, "publish_days"))),
    )


def _started(run: Any) -> datetime | None:
    """When the run started; None while it waits. A run made by `dag.test` (`airflow dags test`,
    `make demo`) carries its logical date as its start date, days or years before it ran: it cannot
    have started before it was due (`run_after`), so the later of the two is the truth."""
    start: datetime | None = run.start_date
    if start is None:
        return None
    return max(start, run.run_after or start)


def _partition(run: Any, returned: dict[tuple[str, str], Any]) -> str:
    """The day (or days) the run ingests: what its first task resolved, else what its form asked."""
    if isinstance(day := returned.get((run.run_id, "claim_day")), str):
        return day
    if isinstance(days := returned.get((run.run_id, "publish_days")), dict) and days:
        return f"{min(days)} … {max(days)}" if len(days) > 1 else str(next(iter(days)))
    conf = run.conf or {}
    if conf.get("date_from"):
        return f"{conf['date_from']} … {conf.get('date_to') or ''}"
    return str(conf.get("partition_date") or "")


def _published(counts: Any) -> str:
    """news_ingest's counts of the day, or news_backfill's days' counts summed."""
    if not isinstance(counts, dict) or not counts:
        return ""
    if all(isinstance(value, dict) for value in counts.values()):  # news_backfill: per day
        summed: dict[str, int] = {}
        for day_counts in counts.values():
            for name, value in day_counts.items():
                summed[name] = summed.get(name, 0) + int(value)
        counts = summed
    return ", ".join(f"{name} {value:,}" for name, value in counts.items())
