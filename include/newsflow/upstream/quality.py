"""Great Expectations' internals: naming a checkpoint run, turning its progress bars off, and the
expectation and action classes newsflow uses, from the modules that define them: GX's public
`gx.expectations` and `gx.checkpoint` import them without re-exporting them (no `__all__`), so a
strict type checker does not see them there."""

from __future__ import annotations

from great_expectations.checkpoint.actions import UpdateDataDocsAction, ValidationAction
from great_expectations.core.run_identifier import RunIdentifier
from great_expectations.data_context.types.base import ProgressBarsConfig
from great_expectations.expectations.core.expect_column_values_to_be_between import (
    ExpectColumnValuesToBeBetween,
)
from great_expectations.expectations.core.expect_column_values_to_be_in_set import (
    ExpectColumnValuesToBeInSet,
)
from great_expectations.expectations.core.expect_column_values_to_be_unique import (
    ExpectColumnValuesToBeUnique,
)
from great_expectations.expectations.core.expect_column_values_to_not_be_null import (
    ExpectColumnValuesToNotBeNull,
)

from newsflow.upstream import require

require("great_expectations")

__all__ = [
    "ExpectColumnValuesToBeBetween",
    "ExpectColumnValuesToBeInSet",
    "ExpectColumnValuesToBeUnique",
    "ExpectColumnValuesToNotBeNull",
    "ProgressBarsConfig",
    "RunIdentifier",
    "UpdateDataDocsAction",
    "ValidationAction",
]
