"""The sources config (sources.yaml), and reading local folders (.txt, .html, .html.gz) into RawDocuments."""

from __future__ import annotations

import dataclasses
import gzip
import ipaddress
import logging
import os
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from newsflow.document.page import declared_charset, decode_bytes
from newsflow.ingest.addresses import EVERY_NETWORK, IPNetwork
from newsflow.schema import RawDocument
from newsflow.settings import Settings

LOGGER = logging.getLogger(__name__)

CONTENT_TYPES = {".txt": "text/plain", ".html": "text/html", ".htm": "text/html"}
# Bigger than any news page (about 0.2 MB): Settings.max_body_bytes, for callers without settings.
DEFAULT_MAX_BYTES = 5_000_000


_SOURCE_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
# Sources fetched over HTTP (the others read files).
FETCHED_KINDS = ("urls", "rss", "sitemap")


@dataclass(frozen=True, slots=True)
class SourceSpec:
    """One entry of sources.yaml."""

    name: str  # lower-case letters, digits, - and _: it names lake and archive folders
    kind: str  # folder, urls, rss, sitemap or warc
    location: str  # folder path, file of URLs (one a line), feed / sitemap URL, or WARC file/folder/glob
    language: str | None = None  # hint only, langdetect decides; for kind warc also a filter (see collect)
    max_items: int | None = None  # cap on articles per run (newest first for feeds, archive order for warc)
    urls: tuple[str, ...] = ()  # for kind urls: inline list instead of (or beside) a file
    # for kind warc: publishers (registered domains) to keep, from `domains` and `domains_file`; empty: all
    domains: tuple[str, ...] = ()
    # for fetched kinds: the non-public networks (loopback, private, link-local…) its fetches may
    # reach; `true` in sources.yaml is every network. Empty: public addresses only.
    allow_private_addresses: tuple[IPNetwork, ...] = ()
    # keep the pages that are not articles (home, section, video pages…) as articles, their kind
    # in `page_type`; by default they are quarantined (document.page_type)
    keep_non_articles: bool = False


class ConfigError(ValueError):
    """A configuration file that cannot be used: the message names the file, the source and the field."""


class _SourceEntry(BaseModel):
    """One source as sources.yaml may write it; strict, so `language: 5` or `urls: [1, 2]` is an error."""

    model_config = ConfigDict(extra="forbid", strict=True)

    name: str = Field(pattern=_SOURCE_NAME.pattern)
    kind: Literal["folder", "urls", "rss", "sitemap", "warc"]
    location: str = ""
    language: str | None = None
    max_items: int | None = Field(default=None, gt=0)
    urls: list[str] = []
    domains: list[str] = []
    domains_file: str | None = None
    allow_private_addresses: bool | list[str] = False
    keep_non_articles: bool = False

    @field_validator("allow_private_addresses")
    @classmethod
    def _are_networks(cls, value: bool | list[str]) -> bool | list[str]:
        for network in value if isinstance(value, list) else []:
            ipaddress.ip_network(network, strict=False)  # ValueError names the bad value
        return value

    def private_networks(self) -> tuple[IPNetwork, ...]:
        if isinstance(self.allow_private_addresses, list):
            return tuple(ipaddress.ip_network(n, strict=False) for n in self.allow_private_addresses)
        return EVERY_NETWORK if self.allow_private_addresses else ()


def load_sources(settings: Settings) -> list[SourceSpec]:
    """The configured sources; without a sources file, the one folder `settings.source_dir`.

    ConfigError (one line: file, source, field, problem) for anything sources.yaml may not say.
    """
    if settings.sources_path is None:
        return [
            SourceSpec(
                name=_folder_source_name(settings.source_dir),
                kind="folder",
                location=str(settings.source_dir),
            )
        ]
    path = settings.sources_path
    if not path.is_file():
        raise FileNotFoundError(f"sources file {path} does not exist")
    try:
        spec = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:  # syntax errors and tags alike
        where = getattr(exc, "problem_mark", None)
        line = f" (line {where.line + 1})" if where is not None else ""
        raise ConfigError(f"{path}: not valid YAML{line}: {getattr(exc, 'problem', None) or exc}") from None
    entries = spec.get("sources") if isinstance(spec, dict) else None
    if not isinstance(entries, list) or not entries:
        raise ConfigError(f"{path}: expected a top-level 'sources:' list with at least one source")
    sources = [_parse_source(entry, index, path) for index, entry in enumerate(entries, start=1)]
    names = [s.name for s in sources]
    if len(set(names)) != len(names):
        raise ConfigError(f"{path}: source names must be unique, got {names}")
    return sources


def _parse_source(entry: object, index: int, path: Path) -> SourceSpec:
    label = f"source {entry.get('name')!r}" if isinstance(entry, dict) else f"source #{index}"
    if not isinstance(entry, dict):
        raise ConfigError(f"{path}: {label}: expected a mapping with name, kind and location, got {entry!r}")
    try:
        parsed = _SourceEntry.model_validate(entry)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'entry'}: {e['msg']} (got {e.get('input')!r})"
            for e in exc.errors()
        )
        raise ConfigError(f"{path}: {label}: {problems}") from None
    if not parsed.location and not (parsed.kind == "urls" and parsed.urls):
        raise ConfigError(f"{path}: {label}: location: required for kind {parsed.kind}")
    location = parsed.location
    is_local = parsed.kind in ("folder", "warc") or (
        parsed.kind == "urls" and location and "://" not in location
    )
    if is_local and not Path(location).is_absolute():
        location = str((path.parent / location).resolve())  # relative to the sources file
    if parsed.kind == "urls" and location and not Path(location).is_file():
        raise ConfigError(f"{path}: {label}: location: {location} is not a file (one URL a line)")
    if (parsed.domains or parsed.domains_file) and parsed.kind != "warc":
        raise ConfigError(f"{path}: {label}: domains: only for kind warc")
    if parsed.allow_private_addresses and parsed.kind not in FETCHED_KINDS:
        raise ConfigError(
            f"{path}: {label}: allow_private_addresses: only for kinds {', '.join(FETCHED_KINDS)}"
        )
    domains = list(parsed.domains)
    if parsed.domains_file:
        listed = path.parent / parsed.domains_file
        if not listed.is_file():
            raise ConfigError(f"{path}: {label}: domains_file: {listed} does not exist")
        lines = (line.split("#", 1)[0].strip() for line in listed.read_text(encoding="utf-8").splitlines())
        domains += [line for line in lines if line]
    return SourceSpec(
        parsed.name,
        parsed.kind,
        location,
        parsed.language,
        parsed.max_items,
        tuple(parsed.urls),
        tuple(d.lower() for d in domains),
        parsed.private_networks(),
        parsed.keep_non_articles,
    )


def _folder_source_name(folder: Path) -> str:
    return re.sub(r"[^a-z0-9_-]+", "-", folder.name.lower()).strip("-") or "folder"


def iter_folder(
    folder: Path, day: date, source: str | None = None, max_bytes: int = DEFAULT_MAX_BYTES
) -> Iterator[RawDocument]:
    """Every visible entry under `folder`, sorted by path, one document at a time (a large folder
    never sits in memory at once); unreadable ones carry a `read_error`.

    Nothing in the folder is skipped silently, and nothing in it can stop the reading: an entry
    that is not a readable regular file inside the folder (a dangling symlink, a symlink loop, a
    symlink to a file outside the folder, a FIFO or device, a file without read permission) is a
    document with its `read_error`. A file name that is not valid UTF-8 keeps its bytes as
    backslash escapes.
    """
    if not folder.is_dir():
        raise FileNotFoundError(f"source folder {folder} does not exist or is not a directory")
    source = source or folder.name
    root = folder.resolve()
    paths = sorted(p for p in folder.rglob("*") if not p.name.startswith(".") and not _is_folder(p))
    LOGGER.info("reading %d files from %s", len(paths), folder)
    for position, path in enumerate(paths):
        relative = _printable(path.relative_to(folder).as_posix())
        problem = _not_a_readable_file(path, root)
        if problem is None:
            document = read_file(path, relative, source, day, max_bytes)
        else:
            document = RawDocument(
                source,
                relative,
                None,
                "application/octet-stream",
                "",
                None,
                0,
                day,
                datetime.now(UTC),
                problem,
            )
        yield dataclasses.replace(document, position=position)


def _is_folder(path: Path) -> bool:
    return path.is_dir() and not path.is_symlink()  # rglob does not follow folder symlinks: a file here


def _printable(name: str) -> str:
    """A file name as text: bytes that are not UTF-8 (surrogate escapes) become backslash escapes."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _not_a_readable_file(path: Path, root: Path) -> str | None:
    """Why `path` cannot be read as a document of the folder `root`, or None when it can."""
    try:
        target = path.resolve(strict=True)
    except FileNotFoundError:
        return f"dangling_symlink: {_printable(os.readlink(path))} does not exist"
    except (RuntimeError, OSError) as exc:  # RuntimeError: a symlink loop (Python 3.11)
        return f"unreadable: {exc}"
    if not target.is_relative_to(root):
        return "outside_source_folder: a symlink to a file outside the source folder is not read"
    if not target.is_file():
        return "not_a_regular_file: a FIFO, socket or device is not read"
    if not os.access(target, os.R_OK):
        return "unreadable: no read permission"
    return None


def read_file(
    path: Path, relative_path: str, source: str, day: date, max_bytes: int = DEFAULT_MAX_BYTES
) -> RawDocument:
    """One file as a document. Files (or gzip contents) over `max_bytes` are refused as
    `too_large`; a .gz is inflated while streaming, so a gzip bomb stops at the limit."""
    fetched_at = datetime.now(UTC)
    suffix = path.suffix.lower()
    compressed = suffix == ".gz"
    if compressed:
        suffix = Path(path.stem).suffix.lower()
    content_type = CONTENT_TYPES.get(suffix, "application/octet-stream")
    raw_bytes = 0

    def document(text: str = "", encoding: str | None = None, error: str | None = None) -> RawDocument:
        return RawDocument(
            source, relative_path, None, content_type, text, encoding, raw_bytes, day, fetched_at, error
        )

    if content_type == "application/octet-stream":
        return document(error=f"unsupported_file_type: {_printable(path.name)}")
    try:
        raw_bytes = path.stat().st_size
        data = _read_bounded(path, compressed, max_bytes)
    except OSError as exc:  # permissions changed under us, I/O errors, a broken gzip stream
        kind = "bad_gzip" if compressed and not isinstance(exc, PermissionError) else "unreadable"
        return document(error=f"{kind}: {exc}")
    except (EOFError, zlib.error) as exc:
        return document(error=f"bad_gzip: {exc}")
    if data is None:
        what = "inflates past" if compressed else "is over"
        return document(error=f"too_large: {what} {max_bytes} bytes")
    text, encoding = decode_bytes(data, declared_charset(data) if content_type == "text/html" else None)
    if text is None:
        return document(error="binary_content: not text in any known encoding")
    return document(text, encoding)


def _read_bounded(path: Path, compressed: bool, max_bytes: int) -> bytes | None:
    """The file's bytes (inflated for gzip), or None past `max_bytes`: never more is held."""
    with gzip.open(path, "rb") if compressed else path.open("rb") as file:
        data = file.read(max_bytes + 1)
    return data if len(data) <= max_bytes else None
