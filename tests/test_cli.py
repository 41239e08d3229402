"""The `newsflow` command: help on every subcommand, ingest, extract, mentions and sql; values and
errors printed as they are."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from newsflow.cli import app, main
from newsflow.store import lake

from conftest import FIXTURES_DIR, SEEDS_DIR

COMMANDS = [
    "ingest",
    "backfill",
    "reextract",
    "enrich",
    "extract",
    "mentions",
    "trending",
    "attention",
    "sql",
    "build-warehouse",
]


def test_every_command_is_registered_with_help_and_an_example(capsys: pytest.CaptureFixture[str]) -> None:
    assert sorted(c.name or c.callback.__name__ for c in app.registered_commands) == sorted(COMMANDS)
    assert main(["--help"]) == 0
    overview = capsys.readouterr().out
    for command in COMMANDS:
        assert command in overview
        assert main([command, "--help"]) == 0
        assert "Example: newsflow " + command in capsys.readouterr().out
    for command in ("list", "add", "promote"):  # the watchlist's
        assert main(["entities", command, "--help"]) == 0
        assert "Example: newsflow entities " + command in capsys.readouterr().out


def test_ingest_then_query_through_the_cli(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSFLOW_DATA_DIR", str(tmp_path / "data"))
    warehouse = tmp_path / "w.duckdb"
    assert (
        main(
            [
                "ingest",
                "--source",
                str(SEEDS_DIR),
                "--date",
                "2024-07-10",
                "--lake",
                str(tmp_path / "lake"),
                "--warehouse",
                str(warehouse),
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "quarantined" in out and (tmp_path / "lake" / "articles" / "ingest_date=2024-07-10").is_dir()
    assert main(["mentions", "--entity", "belarus", "--by", "week", "--warehouse", str(warehouse)]) == 0
    out = capsys.readouterr().out
    assert "2024-07-08" in out and "Belarus" in out and "1 rows" in out
    assert main(["sql", "select count(*) as n from articles", "--warehouse", str(warehouse)]) == 0
    assert "│ 5 │" in capsys.readouterr().out
    # Read-only as documented: no writing files, no reading files outside the warehouse.
    copy = f"copy (select * from articles) to '{tmp_path / 'out.csv'}'"
    assert main(["sql", copy, "--warehouse", str(warehouse)]) == 1
    assert main(["sql", "select * from read_csv('/etc/passwd')", "--warehouse", str(warehouse)]) == 1
    assert not (tmp_path / "out.csv").exists() and "Permission Error" in capsys.readouterr().err


def test_cli_errors_are_exit_codes_not_tracebacks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ingest", "--date", "10/07/2024"]) == 2
    assert main(["sql", "select 1", "--warehouse", str(tmp_path / "none.duckdb")]) == 1
    assert "no warehouse" in capsys.readouterr().out
    (tmp_path / "w.duckdb").touch()
    assert main(["sql", "select * from nowhere", "--warehouse", str(tmp_path / "w.duckdb")]) == 1


# The console script's entry in a fresh interpreter holding an object whose finalizer tells when the
# interpreter tears its modules down, and an exit handler.
CONSOLE_SCRIPT = """
import atexit, sys

class Freed:
    def __del__(self):
        print("torn down", flush=True)

kept = Freed()
atexit.register(lambda: print("exit handler ran"))
from newsflow.cli import run
run()
"""


@pytest.mark.parametrize(
    ("arguments", "code", "said"),
    [(["--help"], 0, "Usage: newsflow"), (["ingest", "--date", "10/07/2024"], 2, "not a date")],
)
def test_the_console_script_exits_with_main_s_code_after_exit_handlers_without_teardown(
    arguments: list[str], code: int, said: str
) -> None:
    buffered = {name: value for name, value in os.environ.items() if name != "PYTHONUNBUFFERED"}
    result = subprocess.run(
        [sys.executable, "-c", CONSOLE_SCRIPT, *arguments],
        capture_output=True,
        text=True,
        timeout=120,
        env=buffered,  # output held in buffers, as in any pipe
    )
    assert result.returncode == code
    assert said in result.stdout + result.stderr
    assert result.stdout.splitlines()[-1] == "exit handler ran"  # flushed, after everything main printed
    assert "torn down" not in result.stdout


def test_extract_prints_clean_text_or_json_from_a_file_or_stdin() -> None:
    page = FIXTURES_DIR / "html" / "article_with_inline_teaser.html"
    command = [sys.executable, "-m", "newsflow.cli", "extract"]
    text = subprocess.run([*command, str(page)], capture_output=True, text=True, check=True).stdout
    assert text.startswith("Réunis à Washington") and "Lire aussi" not in text
    record = json.loads(
        subprocess.run(
            [*command, "-", "--json", "--url", "https://x.example/a"],
            input=page.read_text(),
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    assert record["title"] == "Sommet de l'OTAN : Kiev obtient une mission d'assistance"
    assert record["language"] == "fr" and record["html_language"] == "fr"
    assert [span["rule"] for span in record["removed"]] == ["dom.teaser_block", "repeated_title"]
    assert record["removed"][0]["text"] == "Lire aussi : L'OTAN fête ses 75 ans dans un climat tendu"
    assert record["published_date"] == "2024-07-11" and record["published_date_source"] == "metadata"


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ("sources: [\n", "not valid YAML"),
        ("sources:\n  - !!python/object:os.system {name: a}\n", "not valid YAML"),
        ("sources:\n  - {name: a, kind: rss, location: x, language: 5}\n", "source 'a': language"),
        ("sources:\n  - {name: a, kind: urls, urls: [1, 2]}\n", "source 'a': urls.0"),
        ("sources:\n  - {name: a, kind: urls, urls: 'https://x.example/a'}\n", "source 'a': urls"),
        ('sources:\n  - {name: "a\\nb", kind: rss, location: x}\n', "name: String should match pattern"),
        ("sources:\n  - {name: a, kind: rss, location: x, max_items: 0}\n", "source 'a': max_items"),
        ("sources:\n  - {name: a, kind: rss, location: x, max_items: -1}\n", "source 'a': max_items"),
        ("sources:\n  - {name: a, kind: rss}\n", "source 'a': location"),
        ("sources:\n  - {name: a, kind: urls, location: none.txt}\n", "source 'a': location: "),
        (
            "sources:\n  - {name: a, kind: rss, location: x, allow_private_addresses: 'yes'}\n",
            "source 'a': allow_private_addresses",
        ),
        (
            "sources:\n  - {name: a, kind: rss, location: x, allow_private_addresses: [10.0.0.0/33]}\n",
            "allow_private_addresses: Value error, '10.0.0.0/33' does not appear to be an IPv4 or IPv6 network",
        ),
        (
            "sources:\n  - {name: a, kind: folder, location: x, allow_private_addresses: true}\n",
            "source 'a': allow_private_addresses: only for kinds urls, rss, sitemap",
        ),
    ],
)
def test_bad_sources_files_are_one_line_errors_with_exit_code_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], config: str, expected: str
) -> None:
    sources = tmp_path / "sources.yaml"
    sources.write_text(config, encoding="utf-8")
    assert (
        main(["ingest", "--sources", str(sources), "--date", "2024-07-10", "--lake", str(tmp_path / "lake")])
        == 2
    )
    out = capsys.readouterr().out
    assert expected in out and str(sources) in out and "Traceback" not in out
    assert len(out.strip().splitlines()) == 1, out


def test_everything_a_run_writes_follows_its_data_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NEWSFLOW_DATA_DIR", raising=False)
    first, second = tmp_path / "first", tmp_path / "second"
    assert main(["ingest", "--date", "2024-07-10", "--lake", str(first / "lake"), "--workers", "1"]) == 0
    assert main(["ingest", "--date", "2024-07-10", "--data-dir", str(second), "--workers", "1"]) == 0
    for folder in (first, second):
        assert (folder / "reports" / "mentions.html").is_file() and (folder / "warehouse.duckdb").is_file()
        assert lake.partition_file(folder / "lake", "articles", date(2024, 7, 10)).is_file()
        assert (folder / "locks").is_dir() and not (folder / "staging" / "ingest_date=2024-07-10").exists()
    assert not (tmp_path / "data").exists()  # nothing landed in the working folder


PAGE = """<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8">
<title>L'Alliance atlantique [/b] face à Moscou [bold]</title></head><body><article>
<h1>L'Alliance atlantique [/b] face à Moscou [bold]</h1>
<p>Les ministres de la Défense de l'Alliance se sont réunis jeudi à Bruxelles pour préparer le sommet
de juillet, où l'élargissement et l'aide à l'Ukraine seront au centre des débats.</p>
<p>« [avant la guerre] les alliés hésitaient encore », a reconnu un diplomate, qui note :warning: que la
majorité des membres de l'Alliance est désormais favorable à une adhésion à long terme.</p>
<p>Le sommet se tiendra à Washington du 9 au 11 juillet ; les dirigeants devraient y annoncer une
nouvelle mission d'assistance.</p></article></body></html>"""


def test_every_value_is_printed_as_it_is(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rich would read "[/b]" as markup and crash, drop "[avant la guerre]" as an unknown style and
    turn ":warning:" or ":fire:" into emoji: titles, quotes, labels, column names and paths."""
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "otan.html").write_text(PAGE, encoding="utf-8")
    data = tmp_path / "data :fire:"
    monkeypatch.setenv("NEWSFLOW_DATA_DIR", str(data))
    label = "Défense [/b]"
    add = [
        "entities",
        "add",
        "defense",
        "--label",
        label,
        "--type",
        "topic",
        "--alias",
        "ministres de la Défense",
    ]
    assert main(add) == 0
    ingest = [
        "ingest",
        "--source",
        str(tmp_path / "src"),
        "--date",
        "2024-07-10",
        "--no-enrich",
        "--workers",
        "1",
    ]
    assert main(ingest) == 0
    assert f"warehouse: {data / 'warehouse.duckdb'}" in capsys.readouterr().out
    query = (
        'select title as "[/b] titre", regexp_extract(text, \'«[^»]*»\') as "citation [avant]", '
        "':warning:' as note from articles"
    )
    assert main(["sql", query]) == 0
    out = capsys.readouterr().out
    assert "L'Alliance atlantique [/b] face à Moscou [bold]" in out and "[/b] titre" in out
    assert "« [avant la guerre] les alliés hésitaient encore »" in out and "citation [avant]" in out
    assert ":warning:" in out
    for command in (["mentions", "--entity", "defense"], ["trending"], ["entities", "list"]):
        assert main(command) == 0, command
        assert label in capsys.readouterr().out, command
    # An error names its file as it is.
    sources = tmp_path / "[bold] :fire: sources.yaml"
    sources.write_text("sources: [\n", encoding="utf-8")
    assert main(["ingest", "--sources", str(sources), "--date", "2024-07-10"]) == 2
    assert f"error: {sources}: not valid YAML" in capsys.readouterr().out


def test_a_bad_environment_variable_is_named(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSFLOW_HOST_DELAY_S", "one second")
    assert main(["sql", "select 1"]) == 1
    assert (
        capsys.readouterr().out.strip() == "error: NEWSFLOW_HOST_DELAY_S: 'one second' is not a valid float"
    )
