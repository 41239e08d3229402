"""Great Expectations' internals: naming a checkpoint run, and turning its progress bars off."""

from __future__ import annotations

from great_expectations.core.run_identifier import RunIdentifier
from great_expectations.data_context.types.base import ProgressBarsConfig

from newsflow.upstream import require

require("great_expectations")

__all__ = ["ProgressBarsConfig", "RunIdentifier"]
