"""Reading local source folders (.txt, .html, .html.gz) into decoded RawDocuments."""

from __future__ import annotations

import gzip
import logging
import zlib
from datetime import date
from pathlib import Path

from charset_normalizer import from_bytes

from newsflow.schema import RawDocument

LOGGER = logging.getLogger(__name__)

CONTENT_TYPES = {".txt": "text/plain", ".html": "text/html", ".htm": "text/html"}
# Share of control characters (other than whitespace) above which bytes are not text in any encoding.
MAX_CONTROL_CHAR_SHARE = 0.01


def read_folder(folder: Path, day: date, source: str | None = None) -> list[RawDocument]:
    """Every visible file under `folder`, sorted by path; unreadable ones carry a `read_error`."""
    if not folder.is_dir():
        raise FileNotFoundError(f"source folder {folder} does not exist or is not a directory")
    source = source or folder.name
    paths = sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))
    LOGGER.info("reading %d files from %s", len(paths), folder)
    return [read_file(path, path.relative_to(folder).as_posix(), source, day) for path in paths]


def read_file(path: Path, relative_path: str, source: str, day: date) -> RawDocument:
    data = path.read_bytes()
    suffix = path.suffix.lower()
    compressed = suffix == ".gz"
    if compressed:
        suffix = Path(path.stem).suffix.lower()
    content_type = CONTENT_TYPES.get(suffix, "application/octet-stream")

    def document(text: str = "", encoding: str | None = None, error: str | None = None) -> RawDocument:
        return RawDocument(source, relative_path, None, content_type, text, encoding, len(data), day, error)

    if content_type == "application/octet-stream":
        return document(error=f"unsupported_file_type: {path.name}")
    if compressed:
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:
            return document(error=f"bad_gzip: {exc}")
    text, encoding = decode_bytes(data)
    if text is None:
        return document(error="binary_content: not text in any known encoding")
    return document(text, encoding)


def decode_bytes(data: bytes) -> tuple[str | None, str | None]:
    """Decode as UTF-8 when valid, else the encoding charset-normalizer finds; (None, None) for binary."""
    if b"\x00" in data[:8192]:
        return None, None
    try:
        text, encoding = data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        best = from_bytes(data).best()
        if best is None:
            return None, None
        text, encoding = str(best), best.encoding
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\n\r\f")
    if text and controls / len(text) > MAX_CONTROL_CHAR_SHARE:
        return None, None
    return text, encoding
