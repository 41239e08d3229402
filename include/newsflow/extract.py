"""newsflow's public call for one page: `extract_text(html, url=None) -> str`, for external scorers
and notebooks. It runs the production path of a shard's document (`day.process.build_article`:
the same parse, pruning, trafilatura passes, rules and checks), minus the publishers' template
lines, which are learned from earlier days of a lake."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from newsflow.day.process import build_article
from newsflow.schema import RawDocument

LOGGER = logging.getLogger(__name__)


def extract_text(html: str, url: str | None = None) -> str:
    """The cleaned article text of an HTML page, as a shard would store it; "" when nothing usable
    is found. Never raises: a page that breaks a stage gives "" (logged with its traceback)."""
    now = datetime.now(UTC)
    raw = RawDocument("extract", None, url, "text/html", html, None, len(html), now.date(), now)
    try:
        return build_article(raw).text
    except Exception:  # a shard quarantines such a page; a single call has nobody to tell but the log
        LOGGER.exception("extraction failed on %s", url or "a page")
        return ""
