"""Imported once by the process the per-shard workers are forked from (`workers.start_forkserver`):
the per-shard pass with everything it imports, and langdetect's profiles, so that every worker
starts with them instead of loading them itself."""

from __future__ import annotations

from newsflow.day import process, workers  # noqa: F401  # imported for the forkserver's workers
from newsflow.document.language import load_profiles

load_profiles()
