"""A site's template lines: short lines that one publisher prints under many different stories
("Suivez Le Journal sur Instagram", "Abonnez-vous à l'édition numérique…"), learned from earlier days.

Each day's publish counts, per publisher known by URL, the distinct stories (near-duplicate
clusters, so updates and syndicated copies of one story count once and their shared prose never
looks like a template) in which each short line appears; a line in MIN_TEMPLATE_STORIES stories or
more is that day's candidate (lake dataset `templates`). A line that was a candidate on
MIN_TEMPLATE_DAYS days or more of the TEMPLATE_DAYS days before a day is a template line of its
publisher, removed by that day's cleaning (`template_line` in `removed`). Two days, not one: a
quotation or a sentence several stories of one day share does not come back day after day, a
footer does. Only earlier days count, so re-running a day gives the same result while they
stay as they are.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import date, timedelta

from newsflow.document.clean import TEMPLATE_LINE_RULE, normalise_line
from newsflow.schema import TEMPLATES, RemovedSpan
from newsflow.store import lake

# Template lines are short: a prose paragraph is never one, however often it is syndicated.
MAX_TEMPLATE_LINE_CHARS = 200
# Shorter keys ("Partager", "Lire la suite") are left to the rule files.
MIN_TEMPLATE_KEY_CHARS = 20
MIN_TEMPLATE_STORIES = 3
MIN_TEMPLATE_DAYS = 2
TEMPLATE_DAYS = 30

Templates = dict[str, frozenset[str]]  # publisher → normalised template lines


def line_keys(text: str, removed: Iterable[RemovedSpan]) -> list[str]:
    """The normalised short lines of an article's text, and of the template lines already removed
    from it (so a template stays known while it is being removed), each once."""
    lines = [*text.splitlines(), *(span.text for span in removed if span.rule == TEMPLATE_LINE_RULE)]
    keys = {normalise_line(line) for line in lines if len(line.strip()) <= MAX_TEMPLATE_LINE_CHARS}
    return sorted(key for key in keys if len(key) >= MIN_TEMPLATE_KEY_CHARS)


def load(lake_uri: lake.Location, day: date) -> Templates:
    """Every publisher's template lines: candidates on MIN_TEMPLATE_DAYS of the TEMPLATE_DAYS days before `day`."""
    since = day - timedelta(days=TEMPLATE_DAYS)
    days_seen: Counter[tuple[str, str]] = Counter()
    for file in lake.files_before(lake_uri, TEMPLATES, day):  # one file a day
        if lake.day_of(file) >= since:
            table = lake.read_table(file, ["publisher", "line_key"])
            columns = (table.column("publisher").to_pylist(), table.column("line_key").to_pylist())
            days_seen.update(set(zip(*columns, strict=True)))
    found: defaultdict[str, set[str]] = defaultdict(set)
    for (publisher, key), days in days_seen.items():
        if days >= MIN_TEMPLATE_DAYS:
            found[publisher].add(key)
    return {publisher: frozenset(keys) for publisher, keys in found.items()}


def learned_lines_sql(originals: str) -> str:
    """The query of the day's candidate template lines (TEMPLATE_SCHEMA's rows) from the relation
    `originals`: the day's published articles that are no duplicate, with their `line_keys`."""
    return f"""
        select publisher, line_key, count(distinct coalesce(story_id, article_id)) as stories
        from (select publisher, story_id, article_id, unnest(line_keys) as line_key from {originals})
        group by publisher, line_key
        having stories >= {MIN_TEMPLATE_STORIES}
        order by publisher, line_key
    """
