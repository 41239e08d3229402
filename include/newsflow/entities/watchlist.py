"""The watchlist: the tracked entities a user follows (their file, created from the packaged example
on first use, edited by hand or with `newsflow entities`), and which of them an article mentions,
where, and how prominently."""

from __future__ import annotations

import bisect
import hashlib
import io
import json
import logging
import os
import re
import shutil
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from newsflow.schema import Article, Mention

LOGGER = logging.getLogger(__name__)

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

    @property
    def fingerprint(self) -> str:
        """What the watchlist matches, hashed: its ids, aliases and acronyms (a label, a type or a
        Wikidata id changes no mention). Stored with each day's mentions, so a build knows which
        days were matched against another watchlist."""
        matched = sorted((e.entity_id, sorted(e.aliases), sorted(e.acronyms)) for e in self.entities)
        return hashlib.sha256(json.dumps(matched, ensure_ascii=False).encode()).hexdigest()[:16]

    def covers(self, name: str) -> bool:
        """Whether some alias or acronym of the gazetteer occurs in `name`."""
        if self.pattern.search(normalise(name)):
            return True
        return self.acronym_pattern is not None and bool(self.acronym_pattern.search(name))


# The example every new watchlist starts from.
EXAMPLE_PATH = Path(__file__).with_name("watchlist.example.yaml")
ENTITY_TYPES = ("person", "organization", "place", "topic")


class WatchlistError(ValueError):
    """A watchlist file that cannot be used: the message names the file, the entity and the field."""


class _EntityEntry(BaseModel):
    """One entity as the watchlist file writes it; strict, so `aliases: NATO` or `id: 5` is an error."""

    model_config = ConfigDict(extra="forbid", strict=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_]*$")
    label: str = Field(min_length=1)
    type: Literal["person", "organization", "place", "topic"]
    aliases: dict[str, list[str]] = Field(min_length=1)  # language -> names
    acronyms: list[str] = []
    wikidata: str | None = Field(default=None, pattern=r"^Q[0-9]+$")


class _WatchlistFile(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    entities: list[_EntityEntry]


def ensure_watchlist(path: Path) -> Path:
    """The user's watchlist at `path`, created from the packaged example when there is none yet
    (written whole or not at all: a second process creating it at once finds it complete)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        shutil.copyfile(EXAMPLE_PATH, tmp)
        os.replace(tmp, path)
        LOGGER.info("created the watchlist %s from the example", path)
    return path


def load_gazetteer(path: Path) -> Gazetteer:
    """The watchlist at `path` (created from the example on first use), parsed and checked: a file
    that is not a valid watchlist is a WatchlistError naming the file, the entity and the field; an
    alias claimed by two entities is one too, not a coin toss."""
    return _parse_gazetteer(str(path), ensure_watchlist(path).read_text(encoding="utf-8"))


@cache
def _parse_gazetteer(path: str, text: str) -> Gazetteer:
    """The gazetteer of one watchlist text (cached by content: an edited file is read anew)."""
    entries = _validated(path, text)
    entities: list[Entity] = []
    by_alias: dict[str, tuple[str, str]] = {}
    by_acronym: dict[str, str] = {}
    for item in entries:
        aliases = tuple(dict.fromkeys(a for names in item.aliases.values() for a in names))
        entities.append(Entity(item.id, item.label, item.type, aliases, tuple(item.acronyms), item.wikidata))
        for alias in aliases:
            key = normalise(alias)
            owner = by_alias.setdefault(key, (item.id, alias))[0]
            if owner != item.id:
                raise WatchlistError(f"{path}: alias {alias!r} belongs to both {owner} and {item.id}")
        for acronym in item.acronyms:
            owner = by_acronym.setdefault(acronym, item.id)
            if owner != item.id or normalise(acronym) in by_alias:
                raise WatchlistError(
                    f"{path}: acronym {acronym!r} is also an alias or another entity's acronym"
                )
    return Gazetteer(
        tuple(entities),
        _alternation(by_alias),
        by_alias,
        _alternation(by_acronym) if by_acronym else None,
        by_acronym,
    )


def _validated(path: str, text: str) -> list[_EntityEntry]:
    """The file's entities, or one WatchlistError line: file, entity (its position and id), field, why."""
    try:
        spec = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise WatchlistError(f"{path}: not valid YAML: {' '.join(str(exc).split())}") from None
    try:
        entries = _WatchlistFile.model_validate(spec).entities
    except ValidationError as exc:
        error = exc.errors()[0]
        where = list(error["loc"])
        if where[:1] == ["entities"] and len(where) > 1 and isinstance(where[1], int):
            item = spec["entities"][where[1]]
            name = item.get("id") if isinstance(item, dict) else None
            entity = f"entity {where[1] + 1}" + (f" ({name})" if name else "")
            field = ".".join(str(part) for part in where[2:]) or "the entry"
            raise WatchlistError(f"{path}: {entity}, field {field}: {error['msg']}") from None
        raise WatchlistError(f"{path}: {'.'.join(map(str, where)) or 'the file'}: {error['msg']}") from None
    ids = [entry.id for entry in entries]
    duplicates = sorted({entity_id for entity_id in ids if ids.count(entity_id) > 1})
    if duplicates:
        raise WatchlistError(f"{path}: entity id {duplicates[0]} is used twice")
    return entries


def _alternation(keys: Iterable[str]) -> re.Pattern[str]:
    """One word-bounded regex matching any of the keys, longest first, any run of spaces inside."""
    alternation = "|".join(
        r"\s+".join(map(re.escape, key.split())) for key in sorted(keys, key=len, reverse=True)
    )
    return re.compile(rf"(?<!\w)(?:{alternation})(?!\w)")


def normalise(text: str) -> str:
    """Lower-case, accent-free, one apostrophe; same length as the input so offsets carry over.

    Character by character (`_fold`), through a table for the code points news text uses: ASCII
    text only needs lower-casing, text below U+3000 one `str.translate`; anything else goes
    character by character in Python (six times slower), with the same result."""
    if text.isascii():
        return text.lower().replace("`", "'")
    if max(text) < _TABLE_END:
        return text.translate(_fold_table())
    return "".join(map(_fold, text.translate(_APOSTROPHES)))


# The code points `_fold_table` covers: Latin, Greek, Cyrillic and the rest of the alphabets and
# punctuation below the CJK blocks, 12,288 entries computed once (~50 ms).
_TABLE_END = "\u3000"


@cache
def _fold_table() -> list[str]:
    """`str.translate`'s table for `normalise`: each code point below _TABLE_END, folded."""
    return [_fold(chr(code).translate(_APOSTROPHES)) for code in range(ord(_TABLE_END))]


def _straighten(text: str) -> str:
    """One apostrophe and one dash, the case kept (where acronyms are looked for)."""
    return text.replace("`", "'") if text.isascii() else text.translate(_APOSTROPHES)


@cache
def _fold(ch: str) -> str:
    """One character without its accent, lower-cased; itself when that would change the length."""
    base = unicodedata.normalize("NFD", ch)[0].lower()
    return base if len(base) == 1 else ch


def sentence_breaks(text: str) -> list[int]:
    """Where each sentence after the first starts: a mention at offset o is in sentence
    `bisect.bisect_right(breaks, o)` (0-based)."""
    return [m.end() for m in _SENTENCE_BREAK.finditer(text)]


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
    found = [
        (match.start(), match.end(), gazetteer.by_alias[" ".join(match.group(0).split())])
        for match in gazetteer.pattern.finditer(normalise(text))
    ]
    if gazetteer.acronym_pattern is not None:  # an acronym inside a longer alias is that alias
        assert gazetteer.by_acronym is not None  # load_gazetteer sets both or neither
        taken = [(start, end) for start, end, _ in found]
        for match in gazetteer.acronym_pattern.finditer(_straighten(text)):
            if not any(start < match.end() and match.start() < end for start, end in taken):
                acronym = " ".join(match.group(0).split())
                found.append((match.start(), match.end(), (gazetteer.by_acronym[acronym], acronym)))
        found.sort()
    if not found:
        return []
    breaks = sentence_breaks(text)
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


def add_entity(
    path: Path,
    entity_id: str,
    label: str,
    entity_type: str,
    aliases: dict[str, list[str]],
    acronyms: list[str] | None = None,
    wikidata: str | None = None,
) -> Entity:
    """Add one entity to the watchlist at `path` (created from the example first if needed), keeping
    the file's comments and layout. The new file is checked whole before it replaces the old one:
    an id or alias already taken, or a bad field, is a WatchlistError and the file stays as it was."""
    from ruamel.yaml import YAML

    ensure_watchlist(path)
    yaml_rt = YAML()  # round trip: the user's comments and order stay
    yaml_rt.indent(mapping=2, sequence=4, offset=2)
    spec = yaml_rt.load(path.read_text(encoding="utf-8"))
    if any(item.get("id") == entity_id for item in spec["entities"]):
        raise WatchlistError(f"{path}: entity id {entity_id} is already on the watchlist")
    entry: dict[str, object] = {"id": entity_id, "label": label, "type": entity_type}
    if wikidata:
        entry["wikidata"] = wikidata
    entry["aliases"] = {language: list(names) for language, names in aliases.items()}
    if acronyms:
        entry["acronyms"] = list(acronyms)
    spec["entities"].append(entry)
    buffer = io.StringIO()
    yaml_rt.dump(spec, buffer)
    gazetteer = _parse_gazetteer(str(path), buffer.getvalue())  # raises before anything is written
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(buffer.getvalue(), encoding="utf-8")
    os.replace(tmp, path)
    return next(entity for entity in gazetteer.entities if entity.entity_id == entity_id)
