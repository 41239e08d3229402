"""The Great Expectations suite for a day's articles: which rows fail which expectation."""

from __future__ import annotations

import logging
import os
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from newsflow.settings import Settings

if TYPE_CHECKING:
    import pandas as pd

LOGGER = logging.getLogger(__name__)

_ROW_ID = "row_id"


def build_expectations(settings: Settings) -> list[Any]:
    """The suite: what every published article must satisfy."""
    import great_expectations.expectations as gxe

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


def failed_expectations(frame: pd.DataFrame, settings: Settings) -> list[list[str]]:
    """Run the suite once on the day's rows (columns article_id, text_chars, language, title);
    the names of the expectations each row fails, in row order (empty for a valid row)."""
    if frame.empty:
        return []
    failures = _failed_expectations_by_row(frame, settings)
    LOGGER.info("validated %d articles: %d quarantined", len(frame), len(failures))
    return [failures.get(row, []) for row in range(len(frame))]


def _failed_expectations_by_row(frame: pd.DataFrame, settings: Settings) -> dict[int, list[str]]:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    frame = frame[["article_id", "text_chars", "language", "title"]].assign(**{_ROW_ID: range(len(frame))})
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)  # task logs, not a terminal
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
    result = validation.run(
        batch_parameters={"dataframe": frame},
        result_format={"result_format": "COMPLETE", "unexpected_index_column_names": [_ROW_ID]},
    )
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
