"""Reading web archives that others wrote (Common Crawl's CC-NEWS, a crawler's own WARC files).

fastwarc frames the records (measured against warcio in bench/warc.py); the HTTP part of a
response record is parsed here, from the record's block, so a block shorter than its declared
Content-Length (a truncated or corrupt gzip member) is noticed: reading that file stops there,
with an error, and keeps what came before.
"""

from __future__ import annotations

import glob
import io
import logging
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from fastwarc.warc import ArchiveIterator
from warcio.statusandheaders import StatusAndHeadersParser

from newsflow.ingest.fetch import FetchResult

LOGGER = logging.getLogger(__name__)

WARC_SUFFIXES = (".warc", ".warc.gz")
# warcio's HTTP head parser, lenient: archives hold whatever servers sent.
_HTTP_HEAD = StatusAndHeadersParser(["HTTP/1.0", "HTTP/1.1", "HTTP/2", "HTTP/2.0"], verify=False)


def warc_files(location: str) -> list[Path]:
    """The WARC files a source's location names: a file, a folder of them, or a glob pattern."""
    path = Path(location)
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.name.endswith(WARC_SUFFIXES))
    if glob.has_magic(location):
        return sorted(Path(p) for p in glob.glob(location, recursive=True) if p.endswith(WARC_SUFFIXES))
    return [path]


def iter_responses(path: Path, skipped: Counter[str]) -> Iterator[FetchResult]:
    """The HTML 200 responses of one WARC file, in order, as fetching would have returned them
    (`fetched_at` is the WARC-Date, `url` the WARC-Target-URI); every other record is counted in
    `skipped` by its reason (its record type, `status_<code>`, `not_html`, and `truncated` for the
    damaged record that ends the file's reading)."""
    with path.open("rb") as stream:
        for record in ArchiveIterator(stream, parse_http=False):
            declared = record.headers.get("Content-Length")
            block = record.reader.read()
            if declared is None or len(block) != int(declared):
                LOGGER.error(
                    "%s: truncated or corrupt record at byte %d; stopping here", path, record.stream_pos
                )
                skipped["truncated"] += 1
                return
            kind = str(record.record_type)
            if kind != "response":
                skipped[kind] += 1
                continue
            status, headers, body = _http_response(block)
            content_type = headers.get("content-type", "")
            if status != 200:
                skipped[f"status_{status}"] += 1
            elif "html" not in content_type.lower():
                skipped["not_html"] += 1
            else:
                url = record.headers.get("WARC-Target-URI") or ""
                yield FetchResult(url, "article", record.record_date, status, url, headers, body)


def _http_response(block: bytes) -> tuple[int | None, dict[str, str], bytes]:
    """(status, lower-cased headers, body) of an HTTP response as the archive stores it."""
    stream = io.BytesIO(block)
    head = _HTTP_HEAD.parse(stream)
    status = head.get_statuscode()
    return int(status) if status.isdigit() else None, {k.lower(): v for k, v in head.headers}, stream.read()
