"""Record schema drift, the GX suite's split into valid/quarantine, and atomic lake partitions."""

from __future__ import annotations

import dataclasses
import logging
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

from newsflow.day.validate import failed_expectations
from newsflow.schema import (
    ARTICLE_SCHEMA,
    QUARANTINE_SCHEMA,
    SCHEMAS,
    Article,
    RemovedSpan,
    from_table,
    to_table,
)
from newsflow.settings import Settings
from newsflow.store import lake

DAY = date(2024, 7, 10)
LONG_TEXT = "L'OTAN a tenu son sommet à Washington. " * 10


@pytest.mark.parametrize(
    ("record_type", "schema"), list(SCHEMAS.items()), ids=lambda x: getattr(x, "__name__", "")
)
def test_dataclass_fields_and_arrow_schema_agree(record_type: type, schema: pa.Schema) -> None:
    assert [f.name for f in dataclasses.fields(record_type)] == schema.names


def test_quarantine_schema_is_article_plus_reasons() -> None:
    assert QUARANTINE_SCHEMA.names == ARTICLE_SCHEMA.names + ["stage", "failed_expectations"]


def article(
    article_id: str | None, text: str = LONG_TEXT, language: str | None = "fr", title: str | None = "Titre"
) -> Article:
    return Article(
        article_id,
        "test",
        None,
        f"{article_id}.txt",
        DAY,
        title=title,
        language=language,
        text=text,
        removed=[RemovedSpan("fr.teaser_line", "Lire aussi : x")],
    )


def test_records_round_trip_through_arrow() -> None:
    records = [article("a"), article("b", language=None)]
    assert from_table(to_table(records, Article), Article) == records


def test_suite_quarantines_each_failing_row_with_every_reason(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    settings = Settings(languages=("fr", "en"), min_text_chars=200)
    batch = [
        article("ok"),
        article("short", text="Trop court."),
        article("german", language="de"),
        article("unknown", language=None, title=None),
        article("twin"),
        article("twin"),
        article(None),
        article("long", text="x " * 150_000),
    ]
    frame = pd.DataFrame(
        {
            "article_id": [a.article_id for a in batch],
            "text_chars": [len(a.text) for a in batch],
            "language": [a.language for a in batch],
            "title": [a.title for a in batch],
        }
    )
    validation = failed_expectations(
        frame, settings, docs_dir=tmp_path / "quality", run_name="ingest_date=2024-07-10"
    )
    failures = validation.failures
    assert len(failures) == len(batch)  # one verdict per row: nothing silently dropped
    assert [a.article_id for a, failed in zip(batch, failures, strict=True) if not failed] == ["ok"]
    reasons = {
        (a.article_id, a.language): failed for a, failed in zip(batch, failures, strict=True) if failed
    }
    assert reasons == {
        ("short", "fr"): ["expect_column_values_to_be_between(text_chars)"],
        ("german", "de"): ["expect_column_values_to_be_in_set(language)"],
        ("unknown", None): [
            "expect_column_values_to_not_be_null(language)",
            "expect_column_values_to_not_be_null(title)",
        ],
        ("twin", "fr"): ["expect_column_values_to_be_unique(article_id)"],
        (None, "fr"): ["expect_column_values_to_not_be_null(article_id)"],
        ("long", "fr"): ["expect_column_values_to_be_between(text_chars)"],
    }
    # GX's own result is kept whole, and rendered as Data Docs: one page per run, indexed.
    statistics = validation.result["statistics"]
    assert validation.result["success"] is False and statistics["evaluated_expectations"] == 6
    assert statistics["unsuccessful_expectations"] == 6
    pages = list((tmp_path / "quality" / "validations").rglob("*.html"))
    assert len(pages) == 1 and "ingest_date=2024-07-10" in str(pages[0])
    assert "values must belong to this set" in pages[0].read_text(encoding="utf-8")
    assert (tmp_path / "quality" / "index.html").is_file()
    # The task log says why, grouped by expectation, naming the articles and the failing values.
    logged = [r.getMessage() for r in caplog.records if r.name == "newsflow.day.validate"]
    assert (
        "quarantined by expect_column_values_to_be_between(text_chars): 2 articles: "
        "short (text_chars=11), long (text_chars=300000)" in logged
    )
    # GX's INFO chatter (hundreds of "Skipping registering function" lines) stays out of task logs.
    assert [
        r.getMessage()
        for r in caplog.records
        if r.name.startswith("great_expectations") and r.levelno < logging.WARNING
    ] == []


# In a fresh interpreter (one that never imported Great Expectations): the suite in its own process,
# then that process killed before the next validation.
SUITE_PROCESS = """
import logging, sys
from pathlib import Path
import pandas as pd, psutil
from newsflow.day import validate
from newsflow.settings import Settings

logging.basicConfig(level=logging.WARNING, format="%(message)s", stream=sys.stdout)
frame = pd.DataFrame(
    {"article_id": ["ok", "short"], "text_chars": [500, 5], "language": ["fr", "fr"], "title": ["T", "T"]}
)
settings = Settings(data_dir=Path(DATA))
with validate.suite_process() as imported:
    imported.result(timeout=120)
    print(validate.failed_expectations(frame, settings).failures)
    print("imported here:", "great_expectations" in sys.modules)
    for child in psutil.Process().children():
        if "spawn_main" in " ".join(child.cmdline()):
            child.kill()
            child.wait(10)
    print(validate.failed_expectations(frame, settings).failures)
    print("imported here:", "great_expectations" in sys.modules)
"""


def test_the_suite_runs_in_its_own_process_and_here_when_that_process_died(tmp_path: Path) -> None:
    script = SUITE_PROCESS.replace("DATA", repr(str(tmp_path)))
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    verdicts = "[[], ['expect_column_values_to_be_between(text_chars)']]"
    assert result.stdout.splitlines() == [
        verdicts,
        "imported here: False",
        "the validation process died: validating in this process",
        verdicts,
        "imported here: True",
    ], result.stderr


def test_the_suites_process_stopped_leaves_nothing_behind(tmp_path: Path) -> None:
    # Stopping the process when the run is done must not leave a resource of it to the interpreter's
    # exit (the resource tracker would warn of it on every ingest).
    script = SUITE_PROCESS.split("with validate.suite_process()")[0] + (
        "with validate.suite_process() as imported:\n"
        "    imported.result(timeout=120)\n"
        "    print(validate.failed_expectations(frame, settings).failures)\n"
    )
    script = script.replace("DATA", repr(str(tmp_path)))
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert result.stdout.splitlines() == ["[[], ['expect_column_values_to_be_between(text_chars)']]"], (
        result.stderr
    )
    assert "resource_tracker" not in result.stderr


def test_a_daemonic_process_validates_in_itself() -> None:
    # A daemonic process (a Celery task's) may not start children: it starts no validation process.
    script = SUITE_PROCESS.split("with validate.suite_process()")[0] + (
        "import multiprocessing\n"
        "multiprocessing.current_process().daemon = True\n"
        "with validate.suite_process() as imported:\n"
        "    print(imported, validate.failed_expectations(frame, settings).failures)\n"
    )
    script = script.replace("DATA", repr("/nonexistent"))
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert result.stdout.splitlines() == ["None [[], ['expect_column_values_to_be_between(text_chars)']]"], (
        result.stderr
    )


def test_partition_write_replaces_the_day_whole(tmp_path: Path) -> None:
    first = to_table([article("a"), article("b")], Article)
    path = lake.write_partition(first, tmp_path, "articles", DAY)
    assert path.parent == tmp_path / "articles" / "ingest_date=2024-07-10"
    lake.write_partition(to_table([article("c")], Article), tmp_path, "articles", DAY)
    assert lake.read_partition(tmp_path, "articles", DAY).column("article_id").to_pylist() == ["c"]
    assert sorted(p.name for p in (tmp_path / "articles").iterdir()) == [
        "ingest_date=2024-07-10"
    ]  # no temp left


def test_failed_write_keeps_the_previous_partition(tmp_path: Path) -> None:
    lake.write_partition(to_table([article("a")], Article), tmp_path, "articles", DAY)
    with pytest.raises(AttributeError):  # fails inside the write, after the staging folder exists
        lake.write_partition("not a table", tmp_path, "articles", DAY)  # type: ignore[arg-type]
    assert lake.read_partition(tmp_path, "articles", DAY).column("article_id").to_pylist() == ["a"]
    assert sorted(p.name for p in (tmp_path / "articles").iterdir()) == ["ingest_date=2024-07-10"]


def test_files_before_sees_only_earlier_days(tmp_path: Path) -> None:
    for day, ids in ((date(2024, 7, 8), ["a"]), (date(2024, 7, 9), ["b"]), (DAY, ["c"])):
        lake.write_partition(to_table([article(i) for i in ids], Article), tmp_path, "articles", day)
    earlier = lake.read_files(lake.files_before(tmp_path, "articles", DAY), ["article_id"])
    assert sorted(earlier.column("article_id").to_pylist()) == ["a", "b"]
    assert lake.files_before(tmp_path, "articles", date(2024, 7, 8)) == []


def test_settings_from_env_and_flags() -> None:
    env = {"NEWSFLOW_DATA_DIR": "/srv/nf", "NEWSFLOW_LANGUAGES": "fr, de", "NEWSFLOW_MIN_TEXT_CHARS": "50"}
    settings = Settings.from_env(env, warehouse_path=Path("/tmp/w.duckdb"), source_dir=None)
    assert settings.lake_uri == Path("/srv/nf/lake")
    assert settings.warehouse_path == Path("/tmp/w.duckdb")
    assert settings.languages == ("fr", "de") and settings.min_text_chars == 50
    assert settings.source_dir == Settings().source_dir


REWRITER = """
import sys
from datetime import date
from pathlib import Path
import pyarrow as pa
from newsflow.store import lake
lake_uri, sizes = Path(sys.argv[1]), [int(n) for n in sys.argv[2:]]
tables = [pa.table({"n": pa.array(range(size), pa.int64()), "text": ["x" * 200] * size}) for size in sizes]
print("ready", flush=True)
while True:  # rewrite the day forever, old and new in turn, until killed
    for table in tables:
        lake.write_partition(table, lake_uri, "articles", date(2024, 7, 10))
"""


def test_readers_and_crashes_see_the_old_day_or_the_new_never_neither_nor_both(tmp_path: Path) -> None:
    sizes = (20_000, 50_000)
    for _ in range(4):  # each round: a writer rewrites the day while a reader polls, then SIGKILL
        writer = subprocess.Popen(
            [sys.executable, "-c", REWRITER, str(tmp_path), *map(str, sizes)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert writer.stdout is not None and writer.stdout.readline().strip() == "ready"
        seen = set()
        deadline = time.monotonic() + 1.5
        while time.monotonic() < deadline:  # a reader goes through the day's manifest
            try:
                seen.add(lake.read_partition(tmp_path, "articles", DAY, ["n"]).num_rows)
            except FileNotFoundError as exc:  # no partition yet: only before the very first write
                assert "no articles partition" in str(exc) and not seen, exc
        writer.send_signal(signal.SIGKILL)
        writer.wait()
        assert seen <= set(sizes) and seen, seen
        after_crash = lake.read_partition(tmp_path, "articles", DAY).num_rows
        assert after_crash in sizes
    previous = lake.partition_file(tmp_path, "articles", DAY)
    current = lake.write_partition(pa.table({"n": [1]}), tmp_path, "articles", DAY)
    # A crashed writer's leftovers are gone; the previous file stays for readers that resolved it.
    assert sorted(lake.partition_dir(tmp_path, "articles", DAY).iterdir()) == sorted([previous, current])
