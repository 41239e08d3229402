"""What a page says about itself before extraction: its text encoding, its declared language, its
publisher and the dates it carries. A leaf module: collection, feeds, the per-document pass and
extraction all read pages through it, without importing one another."""

from __future__ import annotations

import codecs
import re
from datetime import date
from urllib.parse import urlsplit

from charset_normalizer import from_bytes
from tld import get_fld

# Dates before the web news era are misreadings (copyright years, founding dates), not publication dates.
MIN_PUBLISHED_DATE = date(1995, 1, 1)

# Share of control characters (other than whitespace) above which bytes are not text in any encoding.
MAX_CONTROL_CHAR_SHARE = 0.01
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Control characters no text holds (tab, line feed, form feed and carriage return are text), as
# bytes: in UTF-8 each is one byte, and bytes.translate counts them ~5x faster than a regex.
_CONTROL_BYTES = bytes(c for c in range(0x20) if c not in (0x09, 0x0A, 0x0C, 0x0D))
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?([A-Za-z0-9_-]+)", re.IGNORECASE)

_HTML_LANG = re.compile(r"<html\b[^>]*?\blang\s*=\s*[\"']?([A-Za-z]{2,3})", re.IGNORECASE)
_META_LANG = re.compile(
    r"<meta\b[^>]*?http-equiv\s*=\s*[\"']?content-language[\"']?[^>]*?content\s*=\s*[\"']?([A-Za-z]{2,3})",
    re.IGNORECASE,
)


def declared_charset(html: bytes) -> str | None:
    """The charset an HTML page declares in a <meta> tag, if Python knows it."""
    match = _META_CHARSET.search(html[:4096])
    return known_charset(match.group(1).decode("ascii")) if match else None


def known_charset(name: str) -> str | None:
    """Python's name for a declared charset; None for one it does not know (`x-foobar`)."""
    try:
        return codecs.lookup(name.strip().strip("\"'")).name
    except LookupError:
        return None


def decode_bytes(data: bytes, declared: str | None = None) -> tuple[str | None, str | None]:
    """Decode as UTF-8 when valid, else as the declared charset, else as charset-normalizer guesses.

    Returns (None, None) for bytes that are not text in any encoding (NUL bytes, control characters).
    """
    for bom, encoding in _BOMS:  # UTF-16 and UTF-32 are full of NUL bytes, yet text
        if data.startswith(bom):
            text = _try_decode(data, encoding)
            return (text, encoding) if text is not None else (None, None)
    if b"\x00" in data[:8192]:
        return None, None
    declared = known_charset(declared) if declared else None  # an unknown name is no declaration
    text, encoding = _try_decode(data, "utf-8-sig"), "utf-8"
    if text is None and declared:
        text, encoding = _try_decode(data, declared), declared
    if text is None:
        guess = _guess_encoding(data)
        if guess is None:
            return None, None
        text, encoding = guess
    if text and _control_chars(data if encoding == "utf-8" else text) / len(text) > MAX_CONTROL_CHAR_SHARE:
        return None, None
    return text, encoding


def _control_chars(text: str | bytes) -> int:
    """The control characters in a text, or in UTF-8 bytes (where each is one byte: the bytes a
    page was decoded from count the same, without encoding its text again)."""
    encoded = text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass")
    return len(encoded) - len(encoded.translate(None, _CONTROL_BYTES))


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


def detect_html_language(html: str) -> str | None:
    """The language the page declares (<html lang>, else meta content-language), lower-cased."""
    head = html[:20_000]
    match = _HTML_LANG.search(head) or _META_LANG.search(head)
    return match.group(1).lower() if match else None


def parse_published_date(value: str | None) -> date | None:
    """ISO date from trafilatura/htmldate, or None when missing, malformed or implausibly old."""
    if not value:
        return None
    try:
        parsed = date.fromisoformat(value[:10])
    except ValueError:
        return None
    return parsed if parsed >= MIN_PUBLISHED_DATE else None


def publisher_of(url: str | None, sitename: str | None, source: str) -> str:
    """Who published the article: the registered domain of its (canonical) URL ("lemonde.fr" for
    www.lemonde.fr and abonnes.lemonde.fr, by the public suffix list bundled with `tld`), the host
    when it has none (an IP address, localhost), else the page's sitename, else the source name."""
    if url:
        domain = get_fld(url, fail_silently=True)
        host = urlsplit(url).hostname if domain is None else domain
        if host:
            return host.lower()
    return sitename.strip() if sitename and sitename.strip() else source
