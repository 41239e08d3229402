"""The `newsflow` command: the same stage functions as the DAG, run in-process without Airflow."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, NoReturn

import click
import typer

from newsflow import query_cli, watchlist_cli
from newsflow.console import ingest_with_progress, print_error, print_line, print_rows, progress_bars
from newsflow.entities.watchlist import WatchlistError
from newsflow.ingest.sources import ConfigError, load_sources
from newsflow.partition import partition_date
from newsflow.query_cli import WarehouseOption
from newsflow.settings import Settings
from newsflow.store.locks import DayLockedError
from newsflow.store.storage import is_local, location
from newsflow.upstream import runtime

app = typer.Typer(
    help="newsflow: news articles -> clean text -> Parquet lake -> DuckDB mentions over time.",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(watchlist_cli.app, name="entities")
for command in (query_cli.mentions, query_cli.sql, query_cli.trending, query_cli.attention):
    app.command()(command)
LOGGER = logging.getLogger(__name__)

DataDirOption = Annotated[
    Path | None,
    typer.Option(
        help="Folder of everything a run writes: lake, staging, raw archives, locks, reports, warehouse (default: $NEWSFLOW_DATA_DIR or data)."
    ),
]
LakeOption = Annotated[
    str | None,
    typer.Option(
        help="Parquet lake: a folder or s3://bucket/prefix (default: $NEWSFLOW_LAKE_URI or DATA_DIR/lake). "
        "Staging, raw archives and locks go beside it; without --data-dir, a local lake's parent is the data folder."
    ),
]
SourcesOption = Annotated[
    Path | None, typer.Option(help="sources.yaml with folder/urls/rss/sitemap sources.")
]
WorkersOption = Annotated[
    int | None,
    typer.Option(min=1, help="Processes for the per-shard pass (default: one per core, $NEWSFLOW_WORKERS)."),
]


@app.command()
def ingest(
    day: Annotated[
        str | None,
        typer.Option(
            "--date",
            help="Ingest date, YYYY-MM-DD: the lake partition key (default: yesterday, UTC, the last whole "
            "day, as for a manual Airflow run).",
        ),
    ] = None,
    source: Annotated[
        Path | None, typer.Option(help="Folder of .txt/.html/.html.gz files (default: seeds/)")
    ] = None,
    sources: SourcesOption = None,
    data_dir: DataDirOption = None,
    lake: LakeOption = None,
    warehouse: WarehouseOption = None,
    workers: WorkersOption = None,
    enrich: Annotated[
        bool, typer.Option(help="Find the day's open-world entities after publishing (newsflow enrich).")
    ] = True,
) -> None:
    """Ingest one day of a folder, or of every source in a sources file, and update the warehouse.

    Documents are processed in shards on every core; the day's open-world entities are found after
    publishing (unless --no-enrich). Also renders the chart. Exits 1 when too many article fetches
    failed (after publishing).

    Example: newsflow ingest --source seeds/ --date 2024-07-10 --workers 2
    """

    settings = _settings(data_dir, lake, warehouse, source_dir=source, sources_path=sources, workers=workers)
    partition = _parse_date(day or partition_date(None, None, run_after=datetime.now(UTC)))
    _run_day(settings, partition, offline=False, enrich=enrich)


@app.command()
def backfill(
    warc: Annotated[
        str, typer.Option(help="WARC file, folder of .warc/.warc.gz files, or a glob (quote it).")
    ],
    date_from: Annotated[str, typer.Option("--from", help="First day to backfill, YYYY-MM-DD.")],
    date_to: Annotated[str, typer.Option("--to", help="Last day to backfill, YYYY-MM-DD.")],
    data_dir: DataDirOption = None,
    lake: LakeOption = None,
    warehouse: WarehouseOption = None,
    workers: WorkersOption = None,
) -> None:
    """Ingest past days from web archives (e.g. Common Crawl CC-NEWS files you downloaded), each day
    partitioned by its pages' WARC-Date, then update the warehouse once.

    Re-running a file re-derives the days it holds, from every known file holding them.

    Example: newsflow backfill --warc 'CC-NEWS-202407*.warc.gz' --from 2024-07-01 --to 2024-07-31
    """
    from newsflow import tasks
    from newsflow.ingest import backfill

    settings = _settings(data_dir, lake, warehouse, workers=workers)
    start, end = _parse_date(date_from), _parse_date(date_to)
    if start > end:
        raise click.BadParameter("--from is after --to")
    with progress_bars() as progress:
        indexing = progress.add_task("indexing archives", total=None, rate="")

        def on_file(path: Path, pages: int, seconds: float) -> None:
            progress.update(
                indexing, advance=pages, rate=f"{path.name}: {pages / max(seconds, 1e-9):,.0f} pages/s"
            )

        try:
            days = backfill.plan(warc, start, end, settings, on_file)
        except FileNotFoundError as exc:
            raise click.ClickException(str(exc)) from None
        summary = {}
        for day, files in days.items():
            summary[day] = ingest_with_progress(progress, backfill.prepare_day(day, files, settings), day)
        tasks.run_build_warehouse(settings)
        tasks.run_render_report(settings)
    if not summary:
        print_line(f"no pages archived between {start} and {end} in {warc}")
        return
    print_rows(
        ["day", *next(iter(summary.values()))],
        [(day, *counts.values()) for day, counts in summary.items()],
        title=f"newsflow backfill {start} … {end}",
    )


@app.command()
def reextract(
    day: Annotated[str, typer.Option("--date", help="Ingest date, YYYY-MM-DD, whose archive to re-read.")],
    sources: SourcesOption = None,
    data_dir: DataDirOption = None,
    lake: LakeOption = None,
    warehouse: WarehouseOption = None,
    workers: WorkersOption = None,
) -> None:
    """Re-run extraction for a day from the raw WARC archive, without fetching anything.

    Example: newsflow reextract --sources sources.yaml --date 2024-07-10
    """
    settings = _settings(data_dir, lake, warehouse, sources_path=sources, workers=workers)
    _run_day(settings, _parse_date(day), offline=True)


def _run_day(settings: Settings, day: date, offline: bool, enrich: bool = False) -> None:
    from newsflow import tasks
    from newsflow.day.steps import FetchHealthError
    from newsflow.warehouse import build

    load_sources(settings)  # a configuration error is reported before any work starts
    with progress_bars() as progress:
        counts = ingest_with_progress(progress, settings, day, offline)
        task = progress.add_task("enrich" if enrich else "warehouse", total=None, rate="")
        if enrich:
            tasks.run_enrich(
                day.isoformat(),
                settings,
                lambda done, total: progress.update(task, completed=done, total=total),
            )
            progress.update(task, description="warehouse", total=None)
        tasks.run_build_warehouse(settings)
        progress.update(task, description="report")
        chart = tasks.run_render_report(settings)
    print_rows(
        list(counts), [tuple(counts.values())], title=f"newsflow {'reextract' if offline else 'ingest'} {day}"
    )
    print_line(f"lake: {settings.lake_uri}  warehouse: {settings.warehouse_path}  chart: {chart}")
    columns, failures = build.query(
        settings,
        "select source, role, error_class, count(*) as n_urls from fetch_log "
        "where ingest_date = $day and is_failure group by all order by n_urls desc, source, error_class",
        {"day": day},
    )
    if failures:
        print_rows(columns, failures, title="fetch failures (see the fetch_log table)")
    try:
        tasks.run_check_fetch_health(day.isoformat(), settings)
    except FetchHealthError as exc:
        raise click.ClickException(str(exc)) from None


@app.command()
def enrich(
    day: Annotated[str, typer.Option("--date", help="A published ingest date, YYYY-MM-DD.")],
    data_dir: DataDirOption = None,
    lake: LakeOption = None,
    warehouse: WarehouseOption = None,
) -> None:
    """Find the open-world entities (people, organisations, places) of a published day's French and
    English articles, replacing the day's `discovered` partition, then update the warehouse.

    Example: newsflow enrich --date 2024-07-10
    """
    from newsflow import tasks

    settings = _settings(data_dir, lake, warehouse)
    path = tasks.run_enrich(_parse_date(day).isoformat(), settings)
    tasks.run_build_warehouse(settings)
    print_line(f"discovered entities of {day}: {path}; warehouse: {settings.warehouse_path}")


@app.command()
def extract(
    path: Annotated[str, typer.Argument(help="An HTML file (.html or .html.gz), or - for standard input.")],
    url: Annotated[str | None, typer.Option(help="The page's URL, used for metadata.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the whole article record as JSON.")] = False,
) -> None:
    """Print the cleaned article text of one HTML page.

    Example: newsflow extract page.html --url https://example.org/a --json
    """
    from newsflow.day import process
    from newsflow.document.page import decode_bytes
    from newsflow.ingest import sources
    from newsflow.schema import RawDocument

    if path == "-":
        raw_text, _ = decode_bytes(sys.stdin.buffer.read())
        raw = RawDocument(
            "stdin", None, url, "text/html", raw_text or "", None, 0, date.today(), datetime.now(UTC)
        )
    else:
        raw = dataclasses.replace(sources.read_file(Path(path), path, "cli", date.today()), url=url)
        if raw.read_error:
            raise click.ClickException(f"{path}: {raw.read_error}")
    article = process.build_article(raw)
    if not as_json:
        typer.echo(article.text)
        return
    record = dataclasses.asdict(process.with_language(article))
    typer.echo(json.dumps(record, ensure_ascii=False, indent=2, default=str))


@app.command("build-warehouse")
def build_warehouse(
    data_dir: DataDirOption = None,
    lake: LakeOption = None,
    warehouse: WarehouseOption = None,
    full: Annotated[
        bool, typer.Option("--full", help="Rebuild from an empty file instead of loading new partitions.")
    ] = False,
) -> None:
    """Load new lake partitions into the DuckDB warehouse (matching the stored days again first when
    the watchlist changed), rebuild its models and the report.

    Example: newsflow build-warehouse --lake data/lake --full
    """
    from newsflow import tasks
    from newsflow.warehouse import report

    settings = _settings(data_dir, lake, warehouse)
    result = tasks.build_warehouse(settings, full=full)
    chart, page = report.render_report(settings)
    print_line(f"built {result.path}: {len(result.loaded)} partitions loaded, {len(result.removed)} removed")
    print_line(f"report: {chart} {page}")


def _settings(data_dir: Path | None, lake: str | None, warehouse: Path | None, **flags: object) -> Settings:
    """Settings for a command that writes: staging, archives, seen URLs and locks follow the lake,
    the warehouse and reports the data folder, which is --data-dir, else the parent of a local
    --lake, else $NEWSFLOW_DATA_DIR; so two runs in two folders never share anything."""
    lake_uri = location(lake) if lake is not None else None
    if data_dir is None and lake_uri is not None and is_local(lake_uri):
        data_dir = lake_uri.parent
    # the environment named, so that no flag can be taken for it
    return Settings.from_env(
        os.environ, data_dir=data_dir, lake_uri=lake_uri, warehouse_path=warehouse, **flags
    )


def _parse_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date in YYYY-MM-DD form", param_hint="--date") from None


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `newsflow` console script; returns the exit code."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        app(args=argv, prog_name="newsflow", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except DayLockedError as exc:
        print_error(str(exc))
        return 3
    except (ConfigError, WatchlistError) as exc:  # a usage error, like a bad option: exit code 2
        print_error(str(exc))
        return 2
    except (OSError, ValueError) as exc:  # a missing or damaged file, a full disk: one line
        print_error(str(exc))
        return 1
    return 0


def run() -> NoReturn:
    """The `newsflow` console script: `main`, then an exit without the interpreter's teardown.

    Freeing a run's heap object by object (pandas, pyarrow, DuckDB and matplotlib loaded) takes up
    to a second after the work is done, and nothing depends on it:
    the exit handlers still run (the forkserver stops, logs are flushed) and so do the output
    streams' flushes, as at any exit; then the process ends with `main`'s exit code."""
    code = main()
    runtime.run_exit_handlers()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):  # a closed pipe: nothing left to tell it
            stream.flush()
    os._exit(code)


if __name__ == "__main__":
    run()
