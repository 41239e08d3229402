"""Reading source folders: every file becomes a document, bad ones carry a read_error, none crash."""

from __future__ import annotations

import gzip
from datetime import date
from pathlib import Path

import pytest

from newsflow.sources import read_folder

from conftest import FIXTURES_DIR, SEEDS_DIR

DAY = date(2024, 7, 10)


def test_seed_folder_reads_five_utf8_text_documents_in_order() -> None:
    documents = read_folder(SEEDS_DIR, DAY)
    assert [d.source_path for d in documents] == sorted(p.name for p in SEEDS_DIR.glob("*.txt"))
    assert {(d.content_type, d.encoding, d.read_error, d.source) for d in documents} == {
        ("text/plain", "utf-8", None, "seeds")
    }
    assert documents[3].raw_text.startswith("International")


def test_html_gzip_latin1_binary_empty_and_unknown_files(tmp_path: Path) -> None:
    page = (FIXTURES_DIR / "html" / "article_with_inline_teaser.html").read_bytes()
    (tmp_path / "page.html").write_bytes(page)
    (tmp_path / "page2.html.gz").write_bytes(gzip.compress(page))
    (tmp_path / "broken.html.gz").write_bytes(b"not gzip at all")
    (tmp_path / "latin1.txt").write_bytes("L'élève a déjà réussi à Noël, où ça?".encode("latin-1"))
    (tmp_path / "binary.txt").write_bytes(bytes(range(256)) * 4)
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "report.pdf").write_bytes(b"%PDF-1.4")
    (tmp_path / ".DS_Store").write_bytes(b"\x00\x01")
    docs = {d.source_path: d for d in read_folder(tmp_path, DAY, source="inbox")}

    assert set(docs) == {
        "page.html",
        "page2.html.gz",
        "broken.html.gz",
        "latin1.txt",
        "binary.txt",
        "empty.txt",
        "report.pdf",
    }
    assert docs["page.html"].content_type == docs["page2.html.gz"].content_type == "text/html"
    assert docs["page.html"].raw_text == docs["page2.html.gz"].raw_text == page.decode("utf-8")
    assert docs["latin1.txt"].raw_text == "L'élève a déjà réussi à Noël, où ça?"
    assert docs["latin1.txt"].read_error is None
    assert docs["empty.txt"].raw_text == "" and docs["empty.txt"].read_error is None
    assert docs["binary.txt"].read_error.startswith("binary_content")
    assert docs["broken.html.gz"].read_error.startswith("bad_gzip")
    assert docs["report.pdf"].read_error == "unsupported_file_type: report.pdf"
    assert docs["binary.txt"].raw_bytes == 1024


def test_html_meta_charset_is_honoured() -> None:
    documents = {d.source_path: d for d in read_folder(FIXTURES_DIR / "html", DAY, source="fixtures")}
    document = documents["latin1_article.html"]
    assert document.encoding == "iso8859-1"
    assert "réunis à Bruxelles" in document.raw_text


def test_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="does not exist"):
        read_folder(tmp_path / "nope", DAY)
