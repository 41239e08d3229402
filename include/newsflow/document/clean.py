"""Text-level boilerplate removal with named, audited rules from rules/<language>.yaml."""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

import yaml

from newsflow.schema import RemovedSpan

RULES_DIR = Path(__file__).resolve().parent / "rules"
RULE_KINDS = ("line", "heading", "trailer")
# A teaser heading takes at most this many un-bulleted headline-like lines with it.
MAX_TEASER_ITEMS = 5
# A trailer widget takes what follows only when that is short: a teaser strip, not the article.
MAX_TRAILER_LINES = 10
# A line repeated right after itself is boilerplate (caption + alt text) only when long enough to
# be a title or caption, not "Oui." twice.
MIN_REPEATED_WORDS = 3
# A teaser line is a label and a headline; a longer line is prose with a teaser glued in, and a
# `line` rule then removes only the text it matched, never the prose around it.
MAX_TEASER_LINE_CHARS = 200
# A pull-quote repeats a sentence of the article: a sentence of at least this many characters found
# inside a longer line is said twice, and goes (the longer line, the prose, stays). A line that ends
# no sentence (a list item, a heading) may repeat on purpose: recipes, meal plans.
MIN_REPEATED_SENTENCE_CHARS = 40
# Characters of text the rules read: ten times the longest article of the Zyte set (20,477). The
# rest (a log, a dump, a generated page) is cut at a line end and kept in `removed` as
# TEXT_CUT_RULE, so the rules, hashes and mentions after it take bounded time and memory.
MAX_TEXT_CHARS = 200_000
TEXT_CUT_RULE = "text_over_max_chars"
# Spans a `line` rule may remove from one long line; a line with more matches than this is no
# prose (a label repeated over and over), and what remains of it goes whole.
MAX_SPANS_PER_LINE = 20

_BULLET = re.compile(r"^\s*[-–•▪◦·*►]\s*\S")
# A line that ends like prose (a sentence, a clause before a list, a quotation) is no headline.
_PROSE_LINE_END = re.compile(r"[.!?…:;»\"”)]\s*$")
_QUOTED_SENTENCE_END = re.compile(r"[.!?…]\s*[»\"”’']?\s*$")
_NOT_WORD = re.compile(r"[^\w\s]|_")  # what `normalise_line` drops: punctuation and accents (combining marks)
_LEADING_SENTENCE_END = re.compile(r"[.!?]?")
# A title often ends with the site's name after a separator ("… | Le Quotidien"); the page's
# headline line does not.
_SITE_SUFFIX = re.compile(r"\s+[|–—-]\s+[^|–—-]{2,60}$")
# The rule name of a publisher's template line in `removed` (newsflow.day.templates learns them back from it).
TEMPLATE_LINE_RULE = "template_line"
# The teaser, caption and cleaning stages each key every line of a text in turn: the keys of the
# last KEYED_LINES_CACHED lines up to MAX_CACHED_LINE_CHARS long are kept (16 MB at most, whatever the text).
KEYED_LINES_CACHED = 1024
MAX_CACHED_LINE_CHARS = 2000


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    kind: str
    pattern: re.Pattern[str]


@dataclass(frozen=True, slots=True)
class CleanResult:
    text: str
    removed: list[RemovedSpan]


@cache
def load_rules(rules_dir: Path = RULES_DIR) -> tuple[Rule, ...]:
    """All rules of every language file, in file order; rule names are prefixed by the language."""
    rules = []
    for path in sorted(rules_dir.glob("*.yaml")):
        for spec in yaml.safe_load(path.read_text(encoding="utf-8"))["rules"]:
            if spec["kind"] not in RULE_KINDS:
                raise ValueError(f"{path.name}: rule {spec['name']!r} has unknown kind {spec['kind']!r}")
            flags = 0 if spec.get("case_sensitive") else re.IGNORECASE
            rules.append(
                Rule(f"{path.stem}.{spec['name']}", spec["kind"], re.compile(spec["pattern"], flags))
            )
    return tuple(rules)


def clean_text(
    text: str,
    title: str | None = None,
    rules: tuple[Rule, ...] | None = None,
    template_lines: frozenset[str] = frozenset(),
) -> CleanResult:
    """Remove boilerplate lines; return the kept text and every removed span with its rule.

    Lines are removed only when a rule names them, when they repeat the title (or its headline,
    without the site's name a title often ends with) or the line just before them, or when a
    longer line says them again (a pull-quote); never for being short alone, so bulleted lists
    and short quotes inside the article stay. Lines repeated further apart
    stay too: recipes and listicles repeat lines on purpose. In a line longer than
    MAX_TEASER_LINE_CHARS a `line` rule removes only its match. `template_lines` (normalised, see
    `normalise_line`) are the publisher's own template lines (`newsflow.day.templates`): removed as
    `template_line`. Text past MAX_TEXT_CHARS is cut first (`TEXT_CUT_RULE`).
    """
    rules = load_rules() if rules is None else rules
    text, removed = _within_max_chars(text.replace("\r\n", "\n").replace("\r", "\n"))
    lines = [line.rstrip() for line in text.split("\n")]
    kept: list[tuple[str, str]] = []  # each kept line with its normalised key
    title_keys = {normalise_line(title)} if title else set()
    headline = _SITE_SUFFIX.sub("", title) if title else ""
    if len(headline.split()) >= MIN_REPEATED_WORDS:  # "Ukraine" of "Ukraine - the war in maps" is no headline
        title_keys.add(normalise_line(headline))
    previous_key = None  # the last kept non-blank line
    i = spans_in_line = 0
    while i < len(lines):
        line = lines[i].strip()
        rule = _first_match(rules, line) if line else None
        if rule is None:
            key = normalise_line(line)
            if line and key in title_keys:
                removed.append(RemovedSpan("repeated_title", line))
            elif line and key in template_lines:
                removed.append(RemovedSpan(TEMPLATE_LINE_RULE, line))
            elif line and len(line.split()) >= MIN_REPEATED_WORDS and key == previous_key:
                removed.append(RemovedSpan("repeated_line", line))
            else:
                kept.append((lines[i], key))
                previous_key = key if line else previous_key
            i += 1
            spans_in_line = 0
            continue
        if rule.kind == "line" and len(line) > MAX_TEASER_LINE_CHARS and spans_in_line < MAX_SPANS_PER_LINE:
            lines[i], span = _without_match(rule, line)
            removed.append(RemovedSpan(rule.name, span))
            spans_in_line += 1
            continue  # the rest of the line is judged again
        spans_in_line = 0
        end = i + 1
        if rule.kind == "heading":
            end = _teaser_list_end(lines, i + 1)
        elif rule.kind == "trailer" and _only_headlines_follow(lines, i + 1):
            end = len(lines)
        block = "\n".join(part.strip() for part in lines[i:end] if part.strip())
        removed.append(RemovedSpan(rule.name, block))
        i = end
    return CleanResult(_tidy("\n".join(_without_repeated_sentences(kept, removed))), removed)


def _within_max_chars(text: str) -> tuple[str, list[RemovedSpan]]:
    """The text cut at the last line end before MAX_TEXT_CHARS (or at MAX_TEXT_CHARS in one long
    line), and the cut rest as a TEXT_CUT_RULE span; the text itself when short enough."""
    if len(text) <= MAX_TEXT_CHARS:
        return text, []
    line_end = text.rfind("\n", 0, MAX_TEXT_CHARS + 1)
    cut = line_end if line_end > MAX_TEXT_CHARS // 2 else MAX_TEXT_CHARS
    return text[:cut], [RemovedSpan(TEXT_CUT_RULE, text[cut:].strip())]


def _without_repeated_sentences(lines: list[tuple[str, str]], removed: list[RemovedSpan]) -> list[str]:
    """The (line, normalised key) `lines` without those said again inside a longer line
    (pull-quotes, highlighted sentences), each recorded as `repeated_sentence`: a mention in a
    pull-quote would be counted twice."""
    inside = _keys_inside_longer_keys({key for _, key in lines if len(key) >= MIN_REPEATED_SENTENCE_CHARS})
    kept = []
    for line, key in lines:
        if key in inside and _QUOTED_SENTENCE_END.search(line):
            removed.append(RemovedSpan("repeated_sentence", line.strip()))
        else:
            kept.append(line)
    return kept


def _keys_inside_longer_keys(keys: set[str]) -> set[str]:
    """The keys found inside another, longer key. Each is looked for only in the keys holding the
    rarest of its inner words (its first and last words may be cut in the longer key), so the
    search grows with the text, not with its square: a text of 10,000 lines took 2 s to compare
    every line with every other."""
    holders: defaultdict[str, list[str]] = defaultdict(list)
    for key in keys:
        for word in set(key.split()):
            holders[word].append(key)
    inside = set()
    for key in keys:
        words = key.split()
        if len(words) < 3:  # no inner word to look up: compare with every key
            candidates: list[str] | set[str] = keys
        else:
            candidates = min((holders[word] for word in words[1:-1]), key=len)
        if any(key in other and key != other for other in candidates):
            inside.add(key)
    return inside


def _first_match(rules: tuple[Rule, ...], line: str) -> Rule | None:
    return next((rule for rule in rules if rule.pattern.search(line)), None)


def _without_match(rule: Rule, line: str) -> tuple[str, str]:
    """The line without the rule's match (a sentence end the match starts with stays), and the match."""
    match = rule.pattern.search(line)
    assert match is not None and match.end() > match.start()
    leading_end = _LEADING_SENTENCE_END.match(match.group(0))
    assert leading_end is not None  # an optional character: it matches every string
    start = match.start() + len(leading_end.group(0))
    return f"{line[:start].rstrip()} {line[match.end() :].lstrip()}".strip(), line[
        start : match.end()
    ].strip()


def _is_headline(line: str) -> bool:
    return not _PROSE_LINE_END.search(line)


def _teaser_list_end(lines: list[str], start: int) -> int:
    """Index just past the link list under a teaser heading."""
    end, items = start, 0
    for j in range(start, len(lines)):
        line = lines[j].strip()
        if not line:
            continue
        if _BULLET.match(line):
            end = j + 1
        elif _is_headline(line) and items < MAX_TEASER_ITEMS:
            items += 1
            end = j + 1
        else:
            break
    return end


def _only_headlines_follow(lines: list[str], start: int) -> bool:
    rest = [line.strip() for line in lines[start:] if line.strip()]
    return len(rest) <= MAX_TRAILER_LINES and all(_is_headline(line) or _BULLET.match(line) for line in rest)


def normalise_line(line: str) -> str:
    """Case-, accent-, punctuation- and space-insensitive key for spotting repeated lines."""
    return _cached_key(line) if len(line) <= MAX_CACHED_LINE_CHARS else _key_of(line)


def _key_of(line: str) -> str:
    folded = unicodedata.normalize("NFKD", line.casefold())
    return " ".join(_NOT_WORD.sub("", folded).split())


_cached_key = lru_cache(maxsize=KEYED_LINES_CACHED)(_key_of)


def _tidy(text: str) -> str:
    """Collapse the blank lines left behind by removals."""
    return re.sub(r"\n\s*\n(\s*\n)+", "\n\n", text).strip()
