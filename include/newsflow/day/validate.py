"""The Great Expectations suite for a day's articles: which rows fail which expectation, the full
result, and GX Data Docs."""

from __future__ import annotations

import logging
import multiprocessing
import os
import sys
import threading
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newsflow.settings import Settings
from newsflow.upstream import runtime

if TYPE_CHECKING:
    import pandas as pd

    from newsflow.upstream.quality import ValidationAction

LOGGER = logging.getLogger(__name__)
# GX logs every function it registers at INFO (over 200 lines a run): task logs keep its warnings only.
logging.getLogger("great_expectations").setLevel(logging.WARNING)


def _quiet_gx() -> None:
    """Some GX modules set their own loggers to INFO when imported: bring them back to WARNING."""
    for name in list(logging.root.manager.loggerDict):
        if name.startswith("great_expectations."):
            logging.getLogger(name).setLevel(logging.WARNING)


_ROW_ID = "row_id"
LOGGED_EXAMPLES = 5  # articles named per failed expectation in the task log; the others are counted


def build_expectations(settings: Settings) -> list[Any]:
    """The suite: what every published article must satisfy."""
    from newsflow.upstream import quality as gxe  # gx.expectations' classes

    return [
        gxe.ExpectColumnValuesToNotBeNull(column="article_id"),
        gxe.ExpectColumnValuesToBeUnique(column="article_id"),
        # On the measured length, so a day's texts never have to be loaded for validation.
        gxe.ExpectColumnValuesToBeBetween(
            column="text_chars", min_value=settings.min_text_chars, max_value=settings.max_text_chars
        ),
        # Null languages pass "in set" in GX, so absence is its own expectation.
        gxe.ExpectColumnValuesToNotBeNull(column="language"),
        gxe.ExpectColumnValuesToBeInSet(column="language", value_set=list(settings.languages)),
        gxe.ExpectColumnValuesToNotBeNull(column="title"),
    ]


@dataclass(frozen=True, slots=True)
class Validation:
    failures: list[list[str]]  # per row, the expectations it failed (empty for a valid row)
    result: dict[str, Any] = field(default_factory=dict)  # GX's validation result, as JSON


def failed_expectations(
    frame: pd.DataFrame, settings: Settings, docs_dir: Path | None = None, run_name: str = "articles"
) -> Validation:
    """Run the suite once on the day's rows (columns article_id, text_chars, language, title): the
    expectations each row fails, in row order, and GX's full result. With `docs_dir`, GX Data Docs
    for the run (named `run_name`) are written there too."""
    if frame.empty:
        return Validation([], {"success": True, "results": [], "statistics": {"evaluated_expectations": 0}})
    failures, result = _suite_results(frame, settings, docs_dir, run_name)
    LOGGER.info("validated %d articles: %d quarantined", len(frame), len(failures))
    _log_quarantined(frame, failures)
    return Validation([failures.get(row, []) for row in range(len(frame))], result)


def import_gx() -> None:
    """Import Great Expectations (~2.8 s of CPU, the largest fixed cost of a run), without its
    analytics, and give tqdm a thread lock: GX's progress bars take tqdm's lock even when they are
    off, and tqdm's own makes a multiprocessing semaphore, which `suite_process`, stopping its
    process, would leave behind (the resource tracker warns of it at exit). GX runs in one thread."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations  # noqa: F401
    from tqdm import tqdm

    tqdm.set_lock(threading.RLock())


@contextmanager
def suite_process() -> Iterator[Future[None] | None]:
    """While inside, this process's validation runs in a process of its own, started now, that
    imports Great Expectations at once: for a run that validates once its workers are done (the
    CLI's ingest), the import is made on the core this process leaves idle while it collects the
    day, not on one the workers need. (A thread could not: it would hold up the collection.)

    A validation asked for before that process has imported Great Expectations runs here (a small
    day does not wait for it), and so does one whose process died (logged): the day goes on.
    Nothing is started when this process has imported Great Expectations already, or may not start
    children (a daemonic process), or could not start it (logged). The process is stopped on
    leaving, whatever it is doing. Yields the future of its import (None: not started)."""
    global _suite_runner
    if "great_expectations" in sys.modules or multiprocessing.current_process().daemon:
        yield None
        return
    runner = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
    try:
        imported = runner.submit(import_gx)
    except Exception:  # no process to be had (a limit on processes, memory): validation runs here
        LOGGER.warning("could not start the validation process: validating in this process", exc_info=True)
        runner.shutdown()
        yield None
        return
    _suite_runner = (runner, imported)
    try:
        yield imported
    finally:
        _suite_runner = None
        runtime.kill_pool_workers(runner)
        runner.shutdown(cancel_futures=True)


# The suite's own process (`suite_process`) and its import of Great Expectations, while one runs.
_suite_runner: tuple[ProcessPoolExecutor, Future[None]] | None = None


def _suite_results(
    frame: pd.DataFrame, settings: Settings, docs_dir: Path | None, run_name: str
) -> tuple[dict[int, list[str]], dict[str, Any]]:
    """`_run_suite` in the suite's own process when one is ready (`suite_process`), else here."""
    if _suite_runner is not None:
        runner, imported = _suite_runner
        if imported.done() and imported.exception() is None:
            try:
                return runner.submit(_run_suite, frame, settings, docs_dir, run_name).result()
            except BrokenProcessPool:
                LOGGER.warning("the validation process died: validating in this process")
    return _run_suite(frame, settings, docs_dir, run_name)


def _run_suite(
    frame: pd.DataFrame, settings: Settings, docs_dir: Path | None, run_name: str
) -> tuple[dict[int, list[str]], dict[str, Any]]:
    import_gx()
    import great_expectations as gx

    from newsflow.upstream.quality import ProgressBarsConfig, RunIdentifier, UpdateDataDocsAction

    _quiet_gx()
    frame = frame[["article_id", "text_chars", "language", "title"]].assign(**{_ROW_ID: range(len(frame))})
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)  # task logs, not a terminal
    actions: list[ValidationAction] = []
    if docs_dir is not None:
        context.add_data_docs_site(
            site_name="newsflow",
            site_config={
                "class_name": "SiteBuilder",
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": str(docs_dir),
                },
            },
        )
        actions.append(UpdateDataDocsAction(name="data_docs", site_names=["newsflow"]))
    batch = (
        context.data_sources.add_pandas("newsflow")
        .add_dataframe_asset("articles")
        .add_batch_definition_whole_dataframe("batch")
    )
    suite = context.suites.add(
        gx.ExpectationSuite(name="articles", expectations=build_expectations(settings))
    )
    validation = context.validation_definitions.add(
        gx.ValidationDefinition(name="articles", data=batch, suite=suite)
    )
    checkpoint = context.checkpoints.add(
        gx.Checkpoint(
            name="articles",
            validation_definitions=[validation],
            actions=actions,
            result_format={"result_format": "COMPLETE", "unexpected_index_column_names": [_ROW_ID]},
        )
    )
    run = checkpoint.run(batch_parameters={"dataframe": frame}, run_id=RunIdentifier(run_name=run_name))
    (result,) = run.run_results.values()
    return _failures_by_row(result), result.to_json_dict()  # type: ignore[no-untyped-call]  # GX leaves this one unannotated


def _log_quarantined(frame: pd.DataFrame, failures: dict[int, list[str]]) -> None:
    """One log line per failed expectation, most failed first: how many articles, and the first
    LOGGED_EXAMPLES of them by id with the failing value."""
    rows_by_reason: dict[str, list[int]] = defaultdict(list)
    for row, names in sorted(failures.items()):
        for name in names:
            rows_by_reason[name].append(row)
    for name, rows in sorted(rows_by_reason.items(), key=lambda item: (-len(item[1]), item[0])):
        column = name[name.index("(") + 1 : -1]
        shown = ", ".join(
            f"{frame['article_id'].iloc[row]} ({column}={frame[column].iloc[row]})"
            for row in rows[:LOGGED_EXAMPLES]
        )
        more = f" and {len(rows) - LOGGED_EXAMPLES} more" if len(rows) > LOGGED_EXAMPLES else ""
        LOGGER.info("quarantined by %s: %d articles: %s%s", name, len(rows), shown, more)


def _failures_by_row(result: Any) -> dict[int, list[str]]:
    """row -> the names of the expectations it failed, from GX's result of the suite (an
    expectation that could not run at all is an error, not a failure of every row)."""
    failures: dict[int, list[str]] = defaultdict(list)
    for outcome in result.results:
        config = outcome.expectation_config
        assert config is not None  # GX attaches the configuration to every result of a suite run
        name = f"{config.type}({config.kwargs.get('column')})"
        if outcome.exception_info and outcome.exception_info.get("raised_exception"):
            raise RuntimeError(f"expectation {name} could not run: {outcome.exception_info}")
        for index in outcome.result.get("unexpected_index_list") or []:
            failures[int(index[_ROW_ID])].append(name)
    return {row: sorted(names) for row, names in failures.items()}
