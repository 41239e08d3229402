"""Gazetteer matching: which tracked entities an article mentions, where, and how prominently."""

from __future__ import annotations

import bisect
import re
import unicodedata
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
    aliases: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Gazetteer:
    entities: tuple[Entity, ...]
    pattern: re.Pattern[str]  # one alternation over every normalised alias, longest first
    by_alias: dict[str, tuple[str, str]]  # normalised alias -> (entity_id, alias as written)


@cache
def load_gazetteer(path: Path) -> Gazetteer:
    """Parse the gazetteer YAML; an alias claimed by two entities is an error, not a coin toss."""
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    entities, by_alias = [], {}
    for item in spec["entities"]:
        aliases = tuple(dict.fromkeys(a for names in item["aliases"].values() for a in names))
        entities.append(Entity(item["id"], item["label"], item["type"], aliases))
        for alias in aliases:
            key = normalise(alias)
            owner = by_alias.setdefault(key, (item["id"], alias))[0]
            if owner != item["id"]:
                raise ValueError(f"{path}: alias {alias!r} belongs to both {owner} and {item['id']}")
    alternation = "|".join(
        r"\s+".join(map(re.escape, key.split())) for key in sorted(by_alias, key=len, reverse=True)
    )
    pattern = re.compile(rf"(?<!\w)(?:{alternation})(?!\w)")
    return Gazetteer(tuple(entities), pattern, by_alias)


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
    mentions = []
    for match in gazetteer.pattern.finditer(normalise(text)):
        entity_id, alias = gazetteer.by_alias[" ".join(match.group(0).split())]
        mentions.append(
            Mention(
                article_id=article.article_id,
                entity_id=entity_id,
                alias=alias,
                matched_text=text[match.start() : match.end()],
                sentence_index=-1 if in_title else bisect.bisect_right(breaks, match.start()),
                char_offset=match.start(),
                in_title=in_title or match.start() < lead_chars,
                ingest_date=article.ingest_date,
            )
        )
    return mentions
