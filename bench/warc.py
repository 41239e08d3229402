"""Reading WARC files: fastwarc against warcio, and newsflow's reader, in records/s.

Usage: python bench/warc.py [EVAL_DIR] [--responses 6000]

A gzipped WARC is written with warcio into a temporary folder in Common Crawl's layout (request,
response, metadata record per URL), the responses being the eval pages (zyte/ and trafilatura/)
over and over; nothing is downloaded. Each reader reads every record's content once. Prints
records/s, MB/s of the compressed file, and what a 1 GB file of such pages takes to read.
"""

from __future__ import annotations

import argparse
import gzip
import io
import tempfile
import time
from collections import Counter
from pathlib import Path

from fastwarc.warc import ArchiveIterator as FastIterator
from warcio.archiveiterator import ArchiveIterator as WarcioIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from newsflow.ingest.warc import iter_responses

from common import DEFAULT_EVAL_DIR


def pages(eval_dir: Path) -> list[bytes]:
    files = sorted((eval_dir / "zyte" / "html").glob("*.gz")) + sorted(
        (eval_dir / "trafilatura" / "html").glob("*.gz")
    )
    return [gzip.decompress(path.read_bytes()) for path in files]


def write_archive(path: Path, bodies: list[bytes], responses: int) -> None:
    with path.open("wb") as stream:
        writer = WARCWriter(stream, gzip=True)
        for i in range(responses):
            url = f"https://news{i % 500}.example.org/article/{i}"
            request = b"GET / HTTP/1.1\r\nHost: example.org\r\n\r\n"
            writer.write_record(writer.create_warc_record(url, "request", payload=io.BytesIO(request)))
            http = StatusAndHeaders(
                "200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1"
            )
            body = bodies[i % len(bodies)]
            writer.write_record(
                writer.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=http)
            )
            metadata = b"fetchTimeMs: 120\r\n"
            writer.write_record(writer.create_warc_record(url, "metadata", payload=io.BytesIO(metadata)))


def read_fastwarc(path: Path) -> int:
    with path.open("rb") as stream:
        return sum(1 for record in FastIterator(stream, parse_http=False) if record.reader.read() is not None)


def read_warcio(path: Path) -> int:
    with path.open("rb") as stream:
        return sum(1 for record in WarcioIterator(stream) if record.content_stream().read() is not None)


def read_newsflow(path: Path) -> int:
    skipped: Counter[str] = Counter()
    kept = sum(1 for _ in iter_responses(path, skipped))
    return kept + sum(skipped.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("eval_dir", nargs="?", type=Path, default=DEFAULT_EVAL_DIR)
    parser.add_argument("--responses", type=int, default=6000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.warc.gz"
        write_archive(path, pages(args.eval_dir), args.responses)
        megabytes = path.stat().st_size / 1e6
        print(f"{args.responses * 3} records ({args.responses} HTML responses), {megabytes:.0f} MB gzipped\n")
        print("| reader | records/s | MB/s | a 1 GB file |")
        print("|---|---|---|---|")
        for name, read in (
            ("fastwarc", read_fastwarc),
            ("warcio", read_warcio),
            ("newsflow.ingest.warc (fastwarc + HTTP)", read_newsflow),
        ):
            started = time.perf_counter()
            records = read(path)
            seconds = time.perf_counter() - started
            assert records == args.responses * 3, (name, records)
            print(
                f"| {name} | {records / seconds:,.0f} | {megabytes / seconds:.0f} | {1000 / megabytes * seconds:.0f} s |"
            )


if __name__ == "__main__":
    main()
