"""Any phrase over time: a simple boolean query, read into the clauses the `text_matches` and
`attention` table macros match every stored text against.

The query language: words and "quoted phrases", matched case-insensitively as whole words
(whitespace inside a phrase matches any whitespace); `AND` (also implied between two terms), `OR`
and `NOT` (before a term), with NOT binding tighter than AND, and AND tighter than OR, as in
Media Cloud's queries; no parentheses. `"otan" OR nato NOT russie` finds the articles naming
"otan", and those naming "nato" but not "russie".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TOKEN = re.compile(r'"([^"]*)"|(\S+)')
_OPERATORS = ("AND", "OR", "NOT")
MAX_CLAUSES = 16  # an OR of ANDs
MAX_PHRASES = 8  # distinct words or phrases: text_matches tests each with its own pattern, one scan each


class QueryError(ValueError):
    """A query the language cannot read; the message says where."""


@dataclass(frozen=True, slots=True)
class Clause:
    """Matches a text holding every `must` phrase and none of the `must_not` ones."""

    must: tuple[str, ...]
    must_not: tuple[str, ...] = ()


def parse_query(query: str) -> list[Clause]:
    """The query as clauses any one of which must match (an OR of ANDs)."""
    clauses: list[Clause] = []
    must: list[str] = []
    must_not: list[str] = []
    negate = False
    for match in _TOKEN.finditer(query):
        phrase, word = match.group(1), match.group(2)
        if word in _OPERATORS and phrase is None:
            if word == "NOT":
                negate = True
            elif word == "OR":
                clauses.append(_clause(must, must_not, query))
                must, must_not = [], []
            continue
        if word and any(c in word for c in '()"'):
            raise QueryError(
                f"query {query!r}: parentheses and unbalanced quotes are not supported ({word!r})"
            )
        text = " ".join((phrase if phrase is not None else word).split())
        if not text:
            raise QueryError(f'query {query!r}: an empty phrase ""')
        (must_not if negate else must).append(text)
        negate = False
    clauses.append(_clause(must, must_not, query))
    if len(clauses) > MAX_CLAUSES:
        raise QueryError(f"query {query!r}: more than {MAX_CLAUSES} OR branches")
    if len({p.lower() for c in clauses for p in (*c.must, *c.must_not)}) > MAX_PHRASES:
        raise QueryError(f"query {query!r}: more than {MAX_PHRASES} distinct words or phrases")
    return clauses


def _clause(must: list[str], must_not: list[str], query: str) -> Clause:
    if not must:
        raise QueryError(f"query {query!r}: each side of OR needs a word or phrase to look for, not only NOT")
    return Clause(tuple(must), tuple(must_not))


def sql_pattern(phrase: str) -> str:
    """The RE2 pattern (DuckDB's regexp_matches) finding the phrase as whole words, any case."""
    words = r"\s+".join(re.escape(word) for word in phrase.split())
    return rf"(?i)(?:^|[^\pL\pN])(?:{words})(?:$|[^\pL\pN])"


def python_pattern(clauses: list[Clause]) -> re.Pattern[str]:
    """One Python pattern finding any phrase a clause requires: for the sentences shown."""
    phrases = sorted({p for c in clauses for p in c.must}, key=len, reverse=True)
    words = "|".join(r"\s+".join(re.escape(w) for w in p.split()) for p in phrases)
    return re.compile(rf"(?<!\w)(?:{words})(?!\w)", re.IGNORECASE)


def macro_arguments(clauses: list[Clause]) -> dict[str, object]:
    """The clauses as the table macros take them: `patterns`, one per distinct phrase, and
    `clauses`, each two bit masks over those patterns (bit k for patterns[k + 1])."""
    phrases = sorted({p.lower() for c in clauses for p in (*c.must, *c.must_not)})
    bit = {phrase: 1 << index for index, phrase in enumerate(phrases)}
    return {
        "patterns": [sql_pattern(p) for p in phrases],
        "clauses": [
            {
                "must": sum(bit[p.lower()] for p in set(c.must)),
                "must_not": sum(bit[p.lower()] for p in set(c.must_not)),
            }
            for c in clauses
        ],
    }


# The macros' argument types, spelled out so that a list of one type is typed as the macro expects.
ARGUMENTS_SQL = "$patterns::varchar[], $clauses::struct(must integer, must_not integer)[]"
ATTENTION_SQL = (
    "select period_start, n_articles, n_publishers, n_stories, n_articles_all "
    f"from attention({ARGUMENTS_SQL}, grain := $grain, basis := $basis) order by period_start"
)
