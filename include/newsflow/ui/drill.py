"""The articles behind a number: a paged list (date, publisher, linked title, language) with the
sentence that holds the mention, or the sentences a phrase query matched, highlighted."""

from __future__ import annotations

import html
import re
from dataclasses import replace
from datetime import date

import duckdb

from newsflow.ui import queries
from newsflow.ui.queries import View
from newsflow.ui.tables import Table, format_value
from newsflow.warehouse import attention

# Where a sentence ends: ., ! or ? (or a closing quote after one) before a space, or a line break.
_SENTENCE_END = re.compile(r"[.!?…][»”\"')\]]?\s+|\n+")
SENTENCES_SHOWN = 3
CONTEXT_CHARS = 300  # either side of a mention: where its sentence is looked for
EXPORT_MAX = 100_000  # articles in one export: a bigger list is a query for `newsflow sql`
ARTICLE_COLUMNS = ["day", "publisher", "title", "url", "language", "source", "story_id", "article_id"]


def sentence_around(before: str, match: str, after: str) -> str:
    """HTML: the sentence holding `match` (given the text either side of it), the match in <mark>."""
    starts = [m.end() for m in _SENTENCE_END.finditer(before)]
    head = before[starts[-1] :] if starts else before
    end = _SENTENCE_END.search(after)
    tail = after[: end.start() + 1] if end else after
    marked = f"<mark>{html.escape(match)}</mark>" if match else ""
    return f"{html.escape(head.lstrip())}{marked}{html.escape(tail.rstrip())}"


def mention_sentence(context: str, row: dict[str, object]) -> str:
    """HTML: the sentence of `context` (the title or the text) holding the row's first mention, or
    the text's opening when the list names no entity."""
    offset, match = int(str(row["char_offset"])), str(row["matched_text"])
    before = context[max(offset - CONTEXT_CHARS, 0) : offset]
    return sentence_around(before, match, context[offset + len(match) : offset + len(match) + CONTEXT_CHARS])


def matching_sentences(text: str, pattern: re.Pattern[str]) -> list[str]:
    """HTML: the first sentences of `text` where `pattern` matches, each match in <mark>."""
    found = []
    start = 0
    for end in [m.end() for m in _SENTENCE_END.finditer(text)] + [len(text)]:
        sentence = text[start:end].strip()
        start = end
        if pattern.search(sentence):
            pieces, last = [], 0
            for hit in pattern.finditer(sentence):
                pieces += [
                    html.escape(sentence[last : hit.start()]),
                    f"<mark>{html.escape(hit.group(0))}</mark>",
                ]
                last = hit.end()
            found.append("".join(pieces) + html.escape(sentence[last:]))
            if len(found) == SENTENCES_SHOWN:
                break
    return found


def articles_section(con: duckdb.DuckDBPyConnection, view: View, days: list[date]) -> str:
    """The list, its paging links, and an explanation when it is empty (`days`: with data)."""
    first, last = queries.full_range(days, view)
    rows, total = queries.article_page(con, view, first, last)
    if not rows:
        return f"<p class='empty'>No article matches these filters between {first} and {last}.</p>"
    phrase = attention.python_pattern(attention.parse_query(view.q)) if view.q else None
    full_texts = queries.texts(con, rows)
    items = []
    for row in rows:
        title_text, text = full_texts.get(str(row["article_id"]), ("", ""))
        if phrase:
            sentences = matching_sentences(text, phrase)
        else:
            sentences = [mention_sentence(title_text if row["in_title"] else text, row)]
        title = html.escape(str(row["title"] or "(no title)"))
        link = (
            f"<a href='{html.escape(str(row['url']))}' rel='noreferrer'>{title}</a>" if row["url"] else title
        )
        items.append(
            f"<li><span class='meta'>{row['day']} · {html.escape(str(row['publisher']))} · "
            f"{html.escape(str(row['language'] or '?'))}</span><br>{link}"
            + "".join(f"<blockquote>{s}</blockquote>" for s in sentences if s)
            + "</li>"
        )
    pages = -(-total // queries.PAGE_SIZE)
    nav = [f"{format_value(total)} articles, {first} to {last}; page {view.page} of {pages}"]
    if view.page > 1:
        nav.append(f"<a href='{html.escape(view.url('articles', page=view.page - 1))}'>← newer</a>")
    if view.page < pages:
        nav.append(f"<a href='{html.escape(view.url('articles', page=view.page + 1))}'>older →</a>")
    export = html.escape(view.url("export/articles.csv", page=1))
    nav.append(
        f"export: <a href='{export}' download>CSV</a> · <a href='{export.replace('.csv', '.json', 1)}' download>JSON</a>"
    )
    return f"<p class='nav'>{' · '.join(nav)}</p><ol class='articles' start='{(view.page - 1) * queries.PAGE_SIZE + 1}'>{''.join(items)}</ol>"


def articles_table(con: duckdb.DuckDBPyConnection, view: View) -> Table:
    """Every article behind the view (up to EXPORT_MAX, newest first), for export."""
    first, last = queries.full_range(queries.data_days(con, view.basis), view)
    rows, _ = queries.article_page(con, replace(view, page=1), first, last, limit=EXPORT_MAX)
    return Table("articles", ARTICLE_COLUMNS, [tuple(r[c] for c in ARTICLE_COLUMNS) for r in rows])
