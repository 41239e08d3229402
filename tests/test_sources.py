"""Reading source folders: every file becomes a document, bad ones carry a read_error, none crash."""

from __future__ import annotations

import gzip
import os
from datetime import date
from pathlib import Path

import pytest

from newsflow.ingest.sources import iter_folder
from newsflow.schema import RawDocument

from conftest import FIXTURES_DIR, SEEDS_DIR


def read_all(*args: object, **kwargs: object) -> list[RawDocument]:
    return list(iter_folder(*args, **kwargs))  # type: ignore[arg-type]


DAY = date(2024, 7, 10)


def test_seed_folder_reads_five_utf8_text_documents_in_order() -> None:
    documents = read_all(SEEDS_DIR, DAY)
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
    docs = {d.source_path: d for d in read_all(tmp_path, DAY, source="inbox")}

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


def test_text_full_of_control_characters_is_binary_and_a_few_form_feeds_are_text(tmp_path: Path) -> None:
    prose = "Le conseil municipal a voté un emprunt pour les écoles. " * 20
    (tmp_path / "terminal.txt").write_bytes((prose + "\x1b[31m\x07" * 50).encode())  # no NUL byte
    (tmp_path / "pages.txt").write_bytes((prose + "\f" * 20 + "\t\r\n").encode() * 3)  # page breaks
    docs = {d.source_path: d for d in read_all(tmp_path, DAY, source="inbox")}
    assert docs["terminal.txt"].read_error.startswith("binary_content")
    assert docs["pages.txt"].read_error is None


def test_html_meta_charset_is_honoured() -> None:
    documents = {d.source_path: d for d in read_all(FIXTURES_DIR / "html", DAY, source="fixtures")}
    document = documents["latin1_article.html"]
    assert document.encoding == "iso8859-1"
    assert "réunis à Bruxelles" in document.raw_text


def test_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="does not exist"):
        read_all(tmp_path / "nope", DAY)


def test_entries_that_cannot_be_read_are_documents_with_a_reason_and_never_stop_the_folder(
    tmp_path: Path,
) -> None:
    inbox, outside = tmp_path / "inbox", tmp_path / "secret.txt"
    inbox.mkdir()
    outside.write_text("not an article of this folder")
    (inbox / "ok.txt").write_text("Un article lisible.", encoding="utf-8")
    (inbox / "dangling.txt").symlink_to(inbox / "gone.txt")
    (inbox / "loop_a.txt").symlink_to(inbox / "loop_b.txt")
    (inbox / "loop_b.txt").symlink_to(inbox / "loop_a.txt")
    (inbox / "escape.txt").symlink_to(outside)
    (inbox / "inside_link.txt").symlink_to(inbox / "ok.txt")
    os.mkfifo(inbox / "pipe.txt")
    with open(os.fsencode(inbox) + b"/caf\xe9.txt", "wb") as latin1_name:  # a name that is not UTF-8
        latin1_name.write(b"Un nom de fichier en Latin-1.")
    (inbox / "utf16.txt").write_bytes("Texte en UTF-16 : « l'OTAN ».".encode("utf-16"))
    (inbox / "bomb.html.gz").write_bytes(gzip.compress(b"<p>" + b"a" * 3_000_000))
    (inbox / "huge.txt").write_bytes(b"mot " * 1_000_000)

    docs = {d.source_path: d for d in read_all(inbox, DAY, source="inbox", max_bytes=2_000_000)}

    errors = {name: (doc.read_error or "").split(":")[0] for name, doc in docs.items()}
    assert errors == {
        "ok.txt": "",
        "inside_link.txt": "",
        "dangling.txt": "dangling_symlink",
        "loop_a.txt": "unreadable",
        "loop_b.txt": "unreadable",
        "escape.txt": "outside_source_folder",
        "pipe.txt": "not_a_regular_file",
        "caf\\xe9.txt": "",
        "utf16.txt": "",
        "bomb.html.gz": "too_large",
        "huge.txt": "too_large",
    }
    assert docs["utf16.txt"].raw_text == "Texte en UTF-16 : « l'OTAN »."
    assert docs["caf\\xe9.txt"].raw_text == "Un nom de fichier en Latin-1."
    assert "not an article" not in "".join(d.raw_text for d in docs.values())


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files without read permission")
def test_a_file_without_read_permission_is_a_document_with_a_reason(tmp_path: Path) -> None:
    locked = tmp_path / "locked.txt"
    locked.write_text("secret")
    locked.chmod(0)
    (doc,) = read_all(tmp_path, DAY)
    assert doc.read_error == "unreadable: no read permission"
