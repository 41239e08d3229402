"""Reading web archives that others wrote: WARC files (Common Crawl's CC-NEWS, a crawler's, wget's)
and the older ARC files.

warcio frames the records of both formats. fastwarc, faster, was measured against it on 63 real test
archives (warcio's, pywb's, jwarc's, resiliparse's, webarchive-commons' and others): it reads no ARC
file, and its decoding stops a file at the first body stored de-chunked under a `Transfer-Encoding:
chunked` header, which crawlers often write. Stored bodies are de-chunked leniently (warcio) and their
`Content-Encoding` decoded by httpx, as live fetching decodes them, under the same body limit.

A damaged record costs only itself: a record whose length is not what it declares, whose WARC-Date
does not parse or whose body cannot be decoded is reported (`BadRecord`) and reading goes on at the
next record found (the next gzip member, or the next WARC/ARC header line); a file with no record
after the damage loses only its rest (`truncated_warc`).
"""

from __future__ import annotations

import glob
import logging
import re
from collections import Counter
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import ChunkedDataReader
from warcio.statusandheaders import StatusAndHeadersParser

from newsflow.ingest.fetch import FetchResult
from newsflow.settings import Settings

LOGGER = logging.getLogger(__name__)

ARCHIVE_SUFFIXES = (".warc", ".warc.gz", ".arc", ".arc.gz")
# Stored bodies are decoded a piece at a time, so the body limit stops a compressed bomb early.
READ_CHUNK_BYTES = 8192
# Where a record may start, to read on after damage: a gzip member in a compressed file; a WARC
# version line or an ARC header line (URL, IP, 14-digit date, type, length) in an uncompressed one.
GZIP_MEMBER = re.compile(rb"\x1f\x8b\x08")
RECORD_START = re.compile(rb"\n(?:WARC/\d\.\d+\r?\n|[a-z]+:\S+ \S+ \d{14} \S+ \d+\r?\n)")
SCAN_BLOCK_BYTES = 1 << 20
# What a page is kept from: an HTML response with status 200, or an HTML resource record (wget, webrecorder).
PAGE_KINDS = ("html_response", "html_resource")
# warcio's HTTP head parser, lenient: archives hold whatever servers sent. The head is parsed here,
# not by warcio, which fails on a response without a WARC-Target-URI.
_HTTP_HEAD = StatusAndHeadersParser(["HTTP/1.0", "HTTP/1.1", "HTTP/2", "HTTP/2.0"], verify=False)


@dataclass(frozen=True, slots=True)
class Page:
    """An archived page, as fetching would have returned it, and where its record starts."""

    result: FetchResult
    offset: int
    kind: str  # html_response or html_resource


@dataclass(frozen=True, slots=True)
class BadRecord:
    """A record that could not be used, or the damage that ends a file (`truncated_warc`)."""

    offset: int
    url: str | None  # its WARC-Target-URI, when its header could be read
    fetched_at: datetime | None  # its WARC-Date, when it parses
    error_class: str  # damaged_record, body_too_large, decoding_error or truncated_warc
    reason: str


@dataclass(frozen=True, slots=True)
class _Judged:
    """A record read whole, not yet given out: whether its length told the truth shows only once
    the next record is framed."""

    outcome: Page | BadRecord | str  # a page, a bad record, or why it is skipped
    offset: int
    url: str | None
    missing_bytes: int  # how much its block fell short of its Content-Length


def warc_files(location: str) -> list[Path]:
    """The archive files a source's location names: a file, a folder of them, or a glob pattern."""
    path = Path(location)
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.name.endswith(ARCHIVE_SUFFIXES))
    if glob.has_magic(location):
        return sorted(Path(p) for p in glob.glob(location, recursive=True) if p.endswith(ARCHIVE_SUFFIXES))
    return [path]


def iter_responses(
    path: Path, skipped: Counter[str], max_body_bytes: int = Settings().max_body_bytes
) -> Iterator[FetchResult]:
    """The pages of one archive file (see `read_archive`), without the bad records' details."""
    for item in read_archive(path, max_body_bytes, skipped):
        if isinstance(item, Page):
            yield item.result


def read_archive(path: Path, max_body_bytes: int, held: Counter[str]) -> Iterator[Page | BadRecord]:
    """The pages of one WARC or ARC file, in order, and its bad records; never raises.

    Every record is counted in `held` once: `html_response` and `html_resource` for the pages
    (`fetched_at` is the WARC-Date, `url` the WARC-Target-URI), else its record type, `status_<code>`,
    `not_html`, `resource` (not HTML), `damaged`, `body_too_large`, `decoding_error` or `truncated`.
    What the file held is logged, so a file that gives no page still says why.
    """
    start: int | None = 0
    while start is not None:
        failure = yield from _read_from(path, start, max_body_bytes, held)
        if failure is None:
            break
        last_start, offset, reason = failure
        start = _next_record_start(path, last_start + 1)
        if start is None:
            held["truncated"] += 1
            reason += "; no record after it: the rest of the file is lost"
            yield BadRecord(offset, None, None, "truncated_warc", reason)
        elif start > offset:  # else the record there was only misframed: it is read again, nothing lost
            held["damaged"] += 1
            yield BadRecord(offset, None, None, "damaged_record", f"{reason}; read on from byte {start}")
    damaged = held["damaged"] + held["truncated"]
    pages = sum(held[kind] for kind in PAGE_KINDS)
    level = logging.WARNING if damaged else logging.INFO
    LOGGER.log(level, "%s: %d pages; held %s", path, pages, describe(held))


def describe(held: Counter[str]) -> str:
    """What a file held, by kind, e.g. 'html_response 3, request 3, revisit 1, warcinfo 1'."""
    return ", ".join(f"{kind} {n}" for kind, n in sorted(held.items()) if n) or "no record"


def _read_from(
    path: Path, start: int, max_body_bytes: int, held: Counter[str]
) -> Generator[Page | BadRecord, None, tuple[int, int, str] | None]:
    """Read records from byte `start` on; None at the end, else (start of the last record framed,
    offset of the damage, reason) for the damage that stopped it."""
    last_start, pending, errors = start, None, 0
    # an ARC record may be followed by the next one with no blank line, which warcio counts as junk
    junk_counts = not path.name.endswith((".arc", ".arc.gz"))
    records: ArchiveIterator | None = None
    try:
        with path.open("rb") as stream:
            stream.seek(start)
            records = ArchiveIterator(stream, no_record_parse=True, arc2warc=True)
            for record in records:
                if pending is not None:  # warcio counts a record not followed by its blank lines
                    yield from _settle(pending, junk_counts and records.err_count > errors, False, held)
                    pending = None
                last_start, errors = records.offset, records.err_count
                pending = _judge(record, last_start, max_body_bytes)
            if pending is not None:
                yield from _settle(pending, junk_counts and records.err_count > errors, True, held)
            return None
    except Exception as exc:  # noqa: BLE001 (whatever a damaged file raises costs that record, never the run)
        junk = junk_counts and records is not None and records.err_count > errors
        if pending is not None:
            yield from _settle(pending, junk, False, held)
        offset = (
            max(records.offset, last_start) if records is not None and pending is not None else last_start
        )
        return (
            last_start,
            offset,
            f"unreadable record: {type(exc).__name__}: {' '.join(str(exc).split())[:200]}",
        )


def _judge(record: Any, offset: int, max_body_bytes: int) -> _Judged:
    """One record, read whole: its page, why it is bad, or the reason it is skipped (a string)."""
    kind, stream = str(record.rec_type), record.raw_stream
    url = (record.rec_headers.get_header("WARC-Target-URI") or "").strip("<> ") or None
    date_text = record.rec_headers.get_header("WARC-Date") or ""
    fetched_at = _warc_date(date_text)
    headers, status = {"content-type": record.rec_headers.get_header("Content-Type") or ""}, None
    if kind == "response":
        head = _HTTP_HEAD.parse(stream)
        code = head.get_statuscode() or ""
        headers, status = {k.lower(): v for k, v in head.headers}, int(code) if code.isdigit() else None
    outcome: Page | BadRecord | str | None = _skip_reason(kind, status, headers.get("content-type", ""))
    if outcome is None and fetched_at is None:
        outcome = BadRecord(offset, url, None, "damaged_record", f"unparseable WARC-Date {date_text!r}")
    elif outcome is None and fetched_at is not None:
        body = _body(stream, headers if kind == "response" else {}, max_body_bytes)
        if isinstance(body, bytes):
            result = FetchResult(url or "", "article", fetched_at, status, url, headers, body)
            outcome = Page(result, offset, f"html_{kind}")
        else:
            outcome = BadRecord(offset, url, fetched_at, *body)
    while stream.read(1 << 16):  # the rest, so that a record cut short shows
        pass
    assert outcome is not None
    return _Judged(outcome, offset, url, stream.limit)


def _skip_reason(kind: str, status: int | None, content_type: str) -> str | None:
    """Why a record is no page (its kind, its status, not HTML); None for a page."""
    if kind not in ("response", "resource"):
        return kind
    if kind == "response" and status != 200:
        return f"status_{status}"
    if "html" not in content_type.split(";")[0].lower():
        return "not_html" if kind == "response" else "resource"
    return None


def _warc_date(text: str) -> datetime | None:
    """A WARC-Date (ISO 8601; UTC when it gives no zone), or None when it does not parse."""
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _body(stream: Any, headers: dict[str, str], max_body_bytes: int) -> bytes | tuple[str, str]:
    """A stored body de-chunked and decoded, read a piece at a time; else (error_class, reason)
    when it grows over `max_body_bytes` or does not decode."""
    if "chunked" in headers.get("transfer-encoding", "").lower():
        stream = ChunkedDataReader(stream)  # a body stored already de-chunked is read as it is
    encoding = headers.get("content-encoding", "")
    stored = httpx.Response(
        200,
        headers={"content-encoding": encoding},
        content=iter(lambda: stream.read(READ_CHUNK_BYTES), b""),
    )
    body = bytearray()
    try:
        for piece in stored.iter_bytes():
            body.extend(piece)
            if len(body) > max_body_bytes:
                return "body_too_large", f"body over {max_body_bytes} bytes"
    except httpx.DecodingError as exc:
        return "decoding_error", f"Content-Encoding {encoding!r} does not decode: {exc}"
    return bytes(body)


def _settle(judged: _Judged, junk_after: bool, last: bool, held: Counter[str]) -> Iterator[Page | BadRecord]:
    """Count and give out a record, now that what follows it is known: a record cut short, or
    followed by something that is no record, is bad whatever it held."""
    outcome = judged.outcome
    if judged.missing_bytes > 0:
        reason = f"{judged.missing_bytes} bytes short of its Content-Length"
        if last:
            reason += ": the file ends inside it"
        outcome = BadRecord(
            judged.offset, judged.url, None, "truncated_warc" if last else "damaged_record", reason
        )
    elif junk_after:
        reason = "not followed by a record: its Content-Length is wrong"
        outcome = BadRecord(judged.offset, judged.url, None, "damaged_record", reason)
    if isinstance(outcome, str):
        held[outcome] += 1
        return
    if isinstance(outcome, Page):
        held[outcome.kind] += 1
    else:
        held[_COUNTED_AS.get(outcome.error_class, outcome.error_class)] += 1
    yield outcome


_COUNTED_AS = {"damaged_record": "damaged", "truncated_warc": "truncated"}


def _next_record_start(path: Path, after: int) -> int | None:
    """The offset of the first place at or after `after` where a record may start; None if none."""
    if not path.is_file():
        return None
    with path.open("rb") as stream:
        compressed = stream.read(2) == b"\x1f\x8b"
        pattern = GZIP_MEMBER if compressed else RECORD_START
        skip = 0 if compressed else 1  # the newline before a header line
        position = after - skip
        stream.seek(max(position, 0))
        tail = b""
        while block := stream.read(SCAN_BLOCK_BYTES):
            found = pattern.search(tail + block)
            if found is not None:
                return position - len(tail) + found.start() + skip
            position += len(block)
            tail = block[-64:]
    return None
