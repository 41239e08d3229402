"""What fetching leaves behind: the raw WARC archive of every response, and the state of seen URLs."""

from __future__ import annotations

import io
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from newsflow.fetch import FetchResult
from newsflow.lake import atomic_path

WARC_FILE = "responses.warc.gz"
ROLE_HEADER = "WARC-Newsflow-Role"  # article, feed, sitemap or robots: what the response was fetched as
REQUESTED_URL_HEADER = "WARC-Newsflow-Requested-URI"  # before redirects; the id of the article
_WIRE_HEADERS = {"content-encoding", "transfer-encoding", "content-length"}


def archive_dir(data_dir: Path, source: str, day: date) -> Path:
    return data_dir / "raw" / f"source={source}" / f"ingest_date={day.isoformat()}"


def write_warc(path: Path, results: list[FetchResult]) -> Path:
    """Every response that came back (any status) as a gzipped WARC response record, written atomically."""
    with atomic_path(path) as tmp, tmp.open("wb") as handle:
        writer = WARCWriter(handle, gzip=True)
        for result in results:
            if result.status is None:
                continue
            # httpx hands over the decoded body, so the wire-level headers would describe bytes we do not keep.
            headers = [(k, v) for k, v in result.headers.items() if k not in _WIRE_HEADERS]
            http_headers = StatusAndHeaders(
                str(result.status), headers, protocol="HTTP/1.1", is_http_request=False
            )
            record = writer.create_warc_record(
                result.final_url or result.url,
                "response",
                payload=io.BytesIO(result.body),
                http_headers=http_headers,
                warc_headers_dict={
                    "WARC-Date": result.fetched_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    ROLE_HEADER: result.role,
                    REQUESTED_URL_HEADER: result.url,
                },
            )
            writer.write_record(record)
    return path


def read_warc(path: Path) -> list[FetchResult]:
    """The responses of a WARC written by `write_warc`, as FetchResults (errors are not archived)."""
    results = []
    with path.open("rb") as handle:
        for record in ArchiveIterator(handle):
            if record.rec_type != "response":
                continue
            headers = record.rec_headers
            http = record.http_headers
            fetched_at = datetime.fromisoformat(headers.get_header("WARC-Date").replace("Z", "+00:00"))
            response_headers = {k.lower(): v for k, v in http.headers}
            results.append(
                FetchResult(
                    url=headers.get_header(REQUESTED_URL_HEADER) or headers.get_header("WARC-Target-URI"),
                    role=headers.get_header(ROLE_HEADER) or "article",
                    fetched_at=fetched_at,
                    status=int(http.get_statuscode()),
                    final_url=headers.get_header("WARC-Target-URI"),
                    headers=response_headers,
                    body=record.content_stream().read(),
                )
            )
    return results


@dataclass(frozen=True, slots=True)
class SeenUrl:
    """One row of the seen-URL state."""

    first_seen: date
    last_seen: date
    content_hash: str | None  # of the last 200 response's body (articles only)
    etag: str | None
    last_modified: str | None

    def is_new_on(self, day: date) -> bool:
        """First fetched that very day: a re-run of the day treats it as new again."""
        return self.first_seen == day

    @property
    def validators(self) -> dict[str, str]:
        """ETag / Last-Modified of the last response, for a conditional GET."""
        return {k: v for k, v in (("etag", self.etag), ("last_modified", self.last_modified)) if v}


class SeenUrls:
    """SQLite table of every URL fetched: first/last day seen, content hash and HTTP validators.

    A URL is new for a day when it was never seen (lookup is None), or first seen that very day.
    """

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._path = path
        with self._connect() as con:
            con.execute(
                "create table if not exists seen_urls (url text primary key, source text, first_seen text, "
                "last_seen text, content_hash text, etag text, last_modified text)"
            )

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        con = sqlite3.connect(self._path, timeout=60)  # mapped fetch tasks may write at the same time
        try:
            with con:
                yield con
        finally:
            con.close()

    def lookup(self, url: str) -> SeenUrl | None:
        """What is known of the URL, in one query; None when it was never fetched."""
        with self._connect() as con:
            row = con.execute(
                "select first_seen, last_seen, content_hash, etag, last_modified from seen_urls where url = ?",
                [url],
            ).fetchone()
        if row is None:
            return None
        first_seen, last_seen, content_hash, etag, last_modified = row
        return SeenUrl(
            date.fromisoformat(first_seen), date.fromisoformat(last_seen), content_hash, etag, last_modified
        )

    def record(
        self, url: str, source: str, day: date, content_hash: str | None, headers: dict[str, str]
    ) -> None:
        with self._connect() as con:
            con.execute(
                "insert into seen_urls values (?, ?, ?, ?, ?, ?, ?) on conflict (url) do update set "
                "first_seen = min(first_seen, excluded.first_seen), last_seen = max(last_seen, excluded.last_seen), "
                "content_hash = coalesce(excluded.content_hash, content_hash), "
                "etag = coalesce(excluded.etag, etag), last_modified = coalesce(excluded.last_modified, last_modified)",
                [
                    url,
                    source,
                    day.isoformat(),
                    day.isoformat(),
                    content_hash,
                    headers.get("etag"),
                    headers.get("last-modified"),
                ],
            )
