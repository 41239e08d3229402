"""What fetching leaves behind: the raw WARC archive of every response, and the state of seen URLs."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from newsflow.ingest.fetch import FetchResult
from newsflow.store.lake import Location, read_files
from newsflow.store.storage import atomic_path

WARC_FILE = "responses.warc.gz"
ROLE_HEADER = "WARC-Newsflow-Role"  # article, feed, sitemap or robots: what the response was fetched as
REQUESTED_URL_HEADER = "WARC-Newsflow-Requested-URI"  # before redirects; the id of the article
_WIRE_HEADERS = {"content-encoding", "transfer-encoding", "content-length"}


def archive_dir(archive_root: Location, source: str, day: date) -> Location:
    """Where a web source's day is archived (`Settings.archive_dir`, beside the lake)."""
    return archive_root / f"source={source}" / f"ingest_date={day.isoformat()}"


def write_warc(path: Location, results: list[FetchResult]) -> Location:
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


def read_warc(path: Location) -> list[FetchResult]:
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


SEEN_URLS_SCHEMA = pa.schema(
    [
        ("url", pa.string()),
        ("day", pa.date32()),
        ("content_hash", pa.string()),
        ("etag", pa.string()),
        ("last_modified", pa.string()),
    ]
)


def seen_urls_dir(lake_uri: Location, source: str) -> Location:
    return lake_uri / "_state" / "seen_urls" / f"source={source}"


class SeenUrls:
    """Every URL a source fetched: first/last day seen, content hash and HTTP validators.

    Kept in the lake, one Parquet file per source and day (`_state/seen_urls/source=S/D.parquet`),
    so any worker reads it; the source's collect task of a day is that file's only writer, and
    re-running a day replaces only its file. A URL is new for a day when it was never seen
    (lookup is None), or first seen that very day.
    """

    def __init__(self, lake_uri: Location, source: str, day: date) -> None:
        self._folder = seen_urls_dir(lake_uri, source)
        self._day = day
        self._known: dict[str, SeenUrl] = {}
        self._recorded: dict[str, dict[str, Any]] = {}
        earlier = [p for p in _files(self._folder) if p.name != self._file.name]
        if earlier:
            for row in sorted(read_files(earlier).to_pylist(), key=lambda r: r["day"]):
                self._remember(row)

    @property
    def _file(self) -> Location:
        return self._folder / f"{self._day.isoformat()}.parquet"

    def _remember(self, row: dict[str, Any]) -> None:
        """Fold one day's row in (rows come oldest day first): the newest non-null values win."""
        known = self._known.get(row["url"])
        self._known[row["url"]] = SeenUrl(
            known.first_seen if known else row["day"],
            row["day"],
            row["content_hash"] or (known.content_hash if known else None),
            row["etag"] or (known.etag if known else None),
            row["last_modified"] or (known.last_modified if known else None),
        )

    def lookup(self, url: str) -> SeenUrl | None:
        """What is known of the URL; None when it was never fetched."""
        return self._known.get(url)

    def record(self, url: str, content_hash: str | None, headers: dict[str, str]) -> None:
        """Note a fetch of the day (kept in memory until `save`)."""
        row = {
            "url": url,
            "day": self._day,
            "content_hash": content_hash,
            "etag": headers.get("etag"),
            "last_modified": headers.get("last-modified"),
        }
        earlier = self._recorded.get(url, {})
        self._recorded[url] = {k: v if v is not None else earlier.get(k) for k, v in row.items()}
        self._remember(row)

    def save(self) -> None:
        """Write the day's file (replacing it whole)."""
        rows = list(self._recorded.values())
        with atomic_path(self._file) as tmp:
            pq.write_table(pa.Table.from_pylist(rows, schema=SEEN_URLS_SCHEMA), tmp)


def _files(folder: Location) -> list[Location]:
    return sorted(folder.glob("*.parquet")) if folder.exists() else []
