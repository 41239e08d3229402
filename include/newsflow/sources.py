"""Reading local source folders (.txt, .html, .html.gz) into decoded RawDocuments."""

from __future__ import annotations

import codecs
import gzip
import logging
import re
import zlib
from datetime import UTC, date, datetime
from pathlib import Path

from charset_normalizer import from_bytes

from newsflow.schema import RawDocument

LOGGER = logging.getLogger(__name__)

CONTENT_TYPES = {".txt": "text/plain", ".html": "text/html", ".htm": "text/html"}
# Share of control characters (other than whitespace) above which bytes are not text in any encoding.
MAX_CONTROL_CHAR_SHARE = 0.01
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?([A-Za-z0-9_-]+)", re.IGNORECASE)


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

    fetched_at = datetime.now(UTC)

    def document(text: str = "", encoding: str | None = None, error: str | None = None) -> RawDocument:
        return RawDocument(source, relative_path, None, content_type, text, encoding, len(data), day, fetched_at, error)

    if content_type == "application/octet-stream":
        return document(error=f"unsupported_file_type: {path.name}")
    if compressed:
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:
            return document(error=f"bad_gzip: {exc}")
    text, encoding = decode_bytes(data, declared_charset(data) if content_type == "text/html" else None)
    if text is None:
        return document(error="binary_content: not text in any known encoding")
    return document(text, encoding)


def declared_charset(html: bytes) -> str | None:
    """The charset an HTML page declares in a <meta> tag, if Python knows it."""
    match = _META_CHARSET.search(html[:4096])
    if match is None:
        return None
    try:
        return codecs.lookup(match.group(1).decode("ascii")).name
    except LookupError:
        return None


def decode_bytes(data: bytes, declared: str | None = None) -> tuple[str | None, str | None]:
    """Decode as UTF-8 when valid, else as the declared charset, else as charset-normalizer guesses.

    Returns (None, None) for bytes that are not text in any encoding (NUL bytes, control characters).
    """
    if b"\x00" in data[:8192]:
        return None, None
    text, encoding = _try_decode(data, "utf-8-sig"), "utf-8"
    if text is None and declared:
        text, encoding = _try_decode(data, declared), declared
    if text is None:
        guess = _guess_encoding(data)
        if guess is None:
            return None, None
        text, encoding = guess
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\n\r\f")
    if text and controls / len(text) > MAX_CONTROL_CHAR_SHARE:
        return None, None
    return text, encoding


def _guess_encoding(data: bytes) -> tuple[str, str] | None:
    """charset-normalizer's best guess; on a tie (short texts), windows-1252, the web's legacy default."""
    candidates = list(from_bytes(data))
    if not candidates:
        return None
    best = candidates[0]
    tied = [c for c in candidates if (c.chaos, c.coherence) == (best.chaos, best.coherence)]
    chosen = next((c for c in tied if c.encoding == "cp1252"), best)
    return str(chosen), chosen.encoding


def _try_decode(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        return None
