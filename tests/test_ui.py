"""The Mentions page's app on its own (no Airflow): what each run quarantined and why."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

from fastapi.testclient import TestClient

from newsflow import tasks
from newsflow.settings import Settings
from newsflow.ui.app import create_app
from newsflow.warehouse.build import build_warehouse

from conftest import SEEDS_DIR


def test_runs_table_says_what_was_quarantined_and_why(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    shutil.copytree(SEEDS_DIR, inbox)
    (inbox / "stub.txt").write_text("Trop court\n\nUne ligne.", encoding="utf-8")
    (inbox / "binary.txt").write_bytes(b"\x00\x01\x02" * 100)
    settings = Settings(data_dir=tmp_path / "data", source_dir=inbox)
    tasks.ingest_day(date(2024, 7, 10), settings)
    build_warehouse(settings)
    page = TestClient(create_app(settings)).get("/mentions").text
    assert "<td>2024-07-10</td><td>5</td><td>0</td><td>2</td>" in page
    assert "validate: expect_column_values_to_be_between(text_chars) ×1" in page
    assert "read: binary_content: not text in any known encoding ×1" in page


def test_page_without_a_warehouse_says_what_to_do(tmp_path: Path) -> None:
    page = TestClient(create_app(Settings(data_dir=tmp_path))).get("/mentions")
    assert page.status_code == 200 and "run the <code>news_ingest</code> DAG" in page.text
