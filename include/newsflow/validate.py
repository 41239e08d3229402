"""The Great Expectations suite for article batches, and the split into valid and quarantined rows."""

from __future__ import annotations

import logging
import os
from collections import defaultdict
from typing import Any

from newsflow.schema import Article, QuarantinedArticle
from newsflow.settings import Settings

LOGGER = logging.getLogger(__name__)

_ROW_ID = "row_id"


def build_expectations(settings: Settings) -> list[Any]:
    """The suite: what every published article must satisfy."""
    import great_expectations.expectations as gxe

    return [
        gxe.ExpectColumnValuesToNotBeNull(column="article_id"),
        gxe.ExpectColumnValuesToBeUnique(column="article_id"),
        gxe.ExpectColumnValueLengthsToBeBetween(
            column="text", min_value=settings.min_text_chars, max_value=settings.max_text_chars
        ),
        # Null languages pass "in set" in GX, so absence is its own expectation.
        gxe.ExpectColumnValuesToNotBeNull(column="language"),
        gxe.ExpectColumnValuesToBeInSet(column="language", value_set=list(settings.languages)),
        gxe.ExpectColumnValuesToNotBeNull(column="title"),
    ]


def validate_articles(
    articles: list[Article], settings: Settings
) -> tuple[list[Article], list[QuarantinedArticle]]:
    """Run the suite on the batch; rows failing any expectation go to quarantine with every reason."""
    if not articles:
        return [], []
    failures = _failed_expectations_by_row(articles, settings)
    valid = [a for i, a in enumerate(articles) if i not in failures]
    quarantined = [QuarantinedArticle(articles[i], "validate", failures[i]) for i in sorted(failures)]
    LOGGER.info(
        "validated %d articles: %d valid, %d quarantined", len(articles), len(valid), len(quarantined)
    )
    return valid, quarantined


def _failed_expectations_by_row(articles: list[Article], settings: Settings) -> dict[int, list[str]]:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx
    import pandas as pd
    from great_expectations.data_context.types.base import ProgressBarsConfig

    frame = pd.DataFrame(
        {
            _ROW_ID: range(len(articles)),
            "article_id": [a.article_id for a in articles],
            "text": [a.text for a in articles],
            "language": [a.language for a in articles],
            "title": [a.title for a in articles],
        }
    )
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
