"""Gazetteer matching: which tracked entities an article mentions, where, and how prominently."""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from newsflow.schema import Article, Mention

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "`": "'", "‐": "-", "‑": "-", "–": "-"})
_SENTENCE_BREAK = re.compile(r"[.!?…]+[\"»”’)]*\s+|\n+")


@dataclass(frozen=True, slots=True)
class Entity:
    entity_id: str
    label: str
    entity_type: str
    aliases: tuple[str, ...]  # matched without regard to case or accents
    acronyms: tuple[str, ...] = ()  # matched exactly as written ("US", never the word "us")
    wikidata_id: str | None = None


@dataclass(frozen=True, slots=True)
class Gazetteer:
    entities: tuple[Entity, ...]
    pattern: re.Pattern[str]  # one alternation over every normalised alias, longest first
    by_alias: dict[str, tuple[str, str]]  # normalised alias -> (entity_id, alias as written)
    acronym_pattern: re.Pattern[str] | None = None  # the acronyms, case-sensitive
    by_acronym: dict[str, str] | None = None  # acronym -> entity_id

    def covers(self, name: str) -> bool:
        """Whether some alias or acronym of the gazetteer occurs in `name`."""
        if self.pattern.search(normalise(name)):
            return True
        return self.acronym_pattern is not None and bool(self.acronym_pattern.search(name))


@cache
def load_gazetteer(path: Path) -> Gazetteer:
    """Parse the gazetteer YAML; an alias claimed by two entities is an error, not a coin toss."""
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    entities: list[Entity] = []
    by_alias: dict[str, tuple[str, str]] = {}
    by_acronym: dict[str, str] = {}
    for item in spec["entities"]:
        aliases = tuple(dict.fromkeys(a for names in item["aliases"].values() for a in names))
        acronyms = tuple(item.get("acronyms", ()))
        entities.append(
            Entity(item["id"], item["label"], item["type"], aliases, acronyms, item.get("wikidata"))
        )
        for alias in aliases:
            key = normalise(alias)
            owner = by_alias.setdefault(key, (item["id"], alias))[0]
            if owner != item["id"]:
                raise ValueError(f"{path}: alias {alias!r} belongs to both {owner} and {item['id']}")
        for acronym in acronyms:
            owner = by_acronym.setdefault(acronym, item["id"])
            if owner != item["id"] or normalise(acronym) in by_alias:
                raise ValueError(f"{path}: acronym {acronym!r} is also an alias or another entity's acronym")
    return Gazetteer(
        tuple(entities),
        _alternation(by_alias),
        by_alias,
        _alternation(by_acronym) if by_acronym else None,
        by_acronym,
    )


def _alternation(keys: Iterable[str]) -> re.Pattern[str]:
    """One word-bounded regex matching any of the keys, longest first, any run of spaces inside."""
    alternation = "|".join(
        r"\s+".join(map(re.escape, key.split())) for key in sorted(keys, key=len, reverse=True)
    )
    return re.compile(rf"(?<!\w)(?:{alternation})(?!\w)")


def normalise(text: str) -> str:
    """Lower-case, accent-free, one apostrophe; same length as the input so offsets carry over."""
    return "".join(map(_fold, text.translate(_APOSTROPHES)))


@cache
def _fold(ch: str) -> str:
    """One character without its accent, lower-cased; itself when that would change the length."""
    base = unicodedata.normalize("NFD", ch)[0].lower()
    return base if len(base) == 1 else ch


def find_mentions(article: Article, gazetteer: Gazetteer) -> list[Mention]:
    """Every gazetteer alias occurrence in the article's title and text, in reading order.

    When the title is the lead of the text (plain-text articles without a title line), the
    text is scanned once and occurrences inside the lead are flagged `in_title`.
    """
    text, title = article.text, article.title or ""
    title_is_lead = bool(title) and text.startswith(title)
    mentions = [] if title_is_lead else _scan(article, title, gazetteer, in_title=True)
    return mentions + _scan(article, text, gazetteer, lead_chars=len(title) if title_is_lead else 0)


def _scan(
    article: Article, text: str, gazetteer: Gazetteer, in_title: bool = False, lead_chars: int = 0
) -> list[Mention]:
    breaks = [m.end() for m in _SENTENCE_BREAK.finditer(text)]
    found = [
        (match.start(), match.end(), gazetteer.by_alias[" ".join(match.group(0).split())])
        for match in gazetteer.pattern.finditer(normalise(text))
    ]
    if gazetteer.acronym_pattern is not None:  # an acronym inside a longer alias is that alias
        assert gazetteer.by_acronym is not None  # load_gazetteer sets both or neither
        taken = [(start, end) for start, end, _ in found]
        for match in gazetteer.acronym_pattern.finditer(text.translate(_APOSTROPHES)):
            if not any(start < match.end() and match.start() < end for start, end in taken):
                acronym = " ".join(match.group(0).split())
                found.append((match.start(), match.end(), (gazetteer.by_acronym[acronym], acronym)))
        found.sort()
    return [
        Mention(
            article_id=article.article_id,
            entity_id=entity_id,
            alias=alias,
            matched_text=text[start:end],
            sentence_index=-1 if in_title else bisect.bisect_right(breaks, start),
            char_offset=start,
            in_title=in_title or start < lead_chars,
            ingest_date=article.ingest_date,
        )
        for start, end, (entity_id, alias) in found
    ]
