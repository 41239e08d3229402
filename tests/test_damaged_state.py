"""State that heals or fails alone: a damaged manifest costs its day only, a write-ahead log left by
a killed DuckDB session never makes the warehouse unreadable, locks are leases taken over when
their holder is provably gone, and a damaged backfill index is rebuilt."""

from __future__ import annotations

import io
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from newsflow import tasks
from newsflow.cli import main
from newsflow.ingest import backfill
from newsflow.settings import Settings
from newsflow.store import lake, locks
from newsflow.store.storage import location
from newsflow.warehouse import build

from conftest import SEEDS_DIR

DAY_1, DAY_2, DAY_3 = date(2024, 7, 8), date(2024, 7, 9), date(2024, 7, 10)


def truncate(manifest: Path) -> None:
    manifest.write_bytes(manifest.read_bytes()[:40])


DAMAGES = {
    "not JSON": lambda root, day: truncate(lake.manifest_path(root, day)),
    "no `files` key": lambda root, day: lake.manifest_path(root, day).write_text('{"ingest_date": "x"}'),
    "is gone": lambda root, day: lake.partition_file(root, "mentions", day).unlink(),
}


@pytest.mark.parametrize("damage", DAMAGES)
def test_a_damaged_manifest_is_named_and_costs_its_day_only(
    damage: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    damaged_day_costs_itself_only(tmp_path / "lake", damage, caplog)


@pytest.mark.parametrize("damage", DAMAGES)
def test_damaged_manifests_on_s3(damage: str, s3_lake: str, caplog: pytest.LogCaptureFixture) -> None:
    damaged_day_costs_itself_only(location(s3_lake), damage, caplog)


def damaged_day_costs_itself_only(root: lake.Location, damage: str, caplog: pytest.LogCaptureFixture) -> None:
    table = pa.table({"n": [1, 2]})
    for day in (DAY_1, DAY_2):
        lake.replace_partitions([("articles", table), ("mentions", table)], root, day)
    DAMAGES[damage](root, DAY_1)

    with caplog.at_level(logging.ERROR):
        found = lake.scan(root, ["articles", "mentions"])
    assert [lake.day_of(f) for f in found.files["articles"]] == [DAY_2]  # day 1 left out, day 2 read
    assert list(found.damaged) == [DAY_1]
    assert "_manifests/ingest_date=2024-07-08.json: damaged manifest" in found.damaged[DAY_1]
    assert damage in found.damaged[DAY_1] and found.damaged[DAY_1] in caplog.text
    # A reader of one dataset skips the day when its manifest is unreadable or its file is gone.
    assert [lake.day_of(f) for f in lake.files_before(root, "mentions", DAY_3)] == [DAY_2]

    lake.replace_partitions([("articles", table), ("mentions", table)], root, DAY_1)  # the day re-run
    assert lake.scan(root, ["articles", "mentions"]).damaged == {}
    assert lake.read_partition(root, "mentions", DAY_1) == table


def test_other_days_and_the_warehouse_go_on_past_a_damaged_manifest(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = Settings(data_dir=tmp_path / "data", source_dir=SEEDS_DIR, workers=1)
    tasks.ingest_day(DAY_1, settings)
    build.build_warehouse(settings)
    manifest = lake.manifest_path(settings.lake_uri, DAY_1)
    truncate(manifest)

    tasks.ingest_day(DAY_2, settings)  # reads every earlier day's hashes and signatures
    with caplog.at_level(logging.ERROR):
        assert main(["build-warehouse", "--data-dir", str(settings.data_dir)]) == 0
    assert f"{manifest}: damaged manifest, not JSON" in caplog.text
    # The warehouse keeps what it loaded of the damaged day, and loads the new one.
    loaded = "select cast(ingest_date as varchar), count(*) from lake_articles group by 1 order by 1"
    assert build.query(settings, loaded)[1] == [(DAY_1.isoformat(), 5), (DAY_2.isoformat(), 5)]

    tasks.ingest_day(DAY_1, settings)  # the damaged day, again: its manifest is rewritten
    assert set(json.loads(manifest.read_bytes())["files"]) >= {"articles", "mentions"}
    assert lake.scan(settings.lake_uri, ["articles"]).damaged == {}


READ_WRITE_SESSION = """
import sys, duckdb, time
con = duckdb.connect(sys.argv[1])  # what `duckdb data/warehouse.duckdb` opens: read-write
con.execute("create table analyst_notes as select range as n from range(1000)")  # committed
con.execute("begin")
con.execute("insert into analyst_notes select range from range(5)")  # never committed
print("ready", flush=True)
time.sleep(600)
"""


@pytest.fixture
def warehouse(tmp_path: Path) -> Settings:
    settings = Settings(data_dir=tmp_path / "data")
    build.build_warehouse(settings)  # an empty lake builds every model
    return settings


def open_read_write(settings: Settings) -> subprocess.Popen[str]:
    session = subprocess.Popen(
        [sys.executable, "-c", READ_WRITE_SESSION, str(settings.warehouse_path)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert session.stdout is not None and session.stdout.readline().strip() == "ready"
    return session


def killed(session: subprocess.Popen[str]) -> None:
    session.send_signal(signal.SIGKILL)
    session.wait()


def wal(settings: Settings) -> Path:
    return settings.warehouse_path.with_name("warehouse.duckdb.wal")


def test_a_killed_read_write_session_never_makes_the_warehouse_unreadable(warehouse: Settings) -> None:
    killed(open_read_write(warehouse))
    assert wal(warehouse).exists()  # its committed work, never checkpointed
    build.build_warehouse(warehouse)
    build.build_warehouse(warehouse)  # and the build after it
    assert not wal(warehouse).exists()
    # Readers see the new file; the committed work was replayed into it, the uncommitted rows not.
    assert build.query(warehouse, "select count(*) from analyst_notes")[1] == [(1000,)]


def test_a_log_left_beside_a_newer_file_is_removed_by_the_next_build(warehouse: Settings) -> None:
    killed(open_read_write(warehouse))
    # What a build swapping its copy in beside that log used to leave: a file newer than its log.
    copy = warehouse.warehouse_path.with_name("copy.duckdb")
    shutil.copyfile(warehouse.warehouse_path, copy)
    with duckdb.connect(str(copy)) as con:
        con.execute("create table rebuilt as select 1")
    os.replace(copy, warehouse.warehouse_path)
    with pytest.raises(duckdb.IOException, match="checkpoint iteration does not match"):
        build.query(warehouse, "select 1")

    build.build_warehouse(warehouse)
    assert build.query(warehouse, "select count(*) from rebuilt")[1] == [(1,)]


def test_an_open_read_write_session_fails_the_build_in_one_line_and_blocks_no_reader_after(
    warehouse: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    session = open_read_write(warehouse)
    try:
        assert main(["build-warehouse", "--data-dir", str(warehouse.data_dir)]) == 1
        error = capsys.readouterr().out
        assert f"is open read-write by another process (PID {session.pid})" in error
        assert "Traceback" not in error and len(error.strip().splitlines()) <= 2  # one line, maybe wrapped
    finally:
        killed(session)
    build.build_warehouse(warehouse)
    assert build.query(warehouse, "select count(*) from analyst_notes")[1] == [(1000,)]


def foreign_lease(
    owner: str, *, expires_in_s: float, machine: str = "another host", pid: int = 4242
) -> bytes:
    now = datetime.now(UTC)
    lease = locks.Lease(
        owner=owner,
        host=machine.split()[0],
        machine=machine,
        pid=pid,
        pid_started=0.0,
        since=(now - timedelta(hours=2)).isoformat(),
        renewed_at=(now - timedelta(minutes=1)).isoformat(),
        expires_at=(now + timedelta(seconds=expires_in_s)).isoformat(),
    )
    return json.dumps(asdict(lease)).encode()


def test_a_lease_tells_who_holds_the_day_and_is_taken_over_once_expired_whatever_the_host(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    locks_dir = tmp_path / "locks"
    locks_dir.mkdir()
    locks.lock_path(locks_dir, DAY_1).write_bytes(foreign_lease("pid 4242 on another", expires_in_s=600))
    with pytest.raises(locks.DayLockedError) as held:
        locks.acquire(locks_dir, DAY_1)
    assert "2024-07-08 is already being ingested by pid 4242 on another for 2 h 0 min, since" in str(
        held.value
    )
    assert "lease renewed 1 min 0 s ago, expires in 9 min" in str(held.value)

    locks.lock_path(locks_dir, DAY_1).write_bytes(foreign_lease("pid 4242 on another", expires_in_s=-60))
    with caplog.at_level(logging.WARNING):
        locks.acquire(locks_dir, DAY_1)
    assert "from pid 4242 on another: its lease expired 1 min 0 s ago" in caplog.text
    assert [p.name for p in locks_dir.iterdir()] == ["ingest_date=2024-07-08.000002.lock"]


TAKE_THE_DAY = """
import sys, time, datetime, pathlib
from newsflow.store import locks
locks.acquire(pathlib.Path(sys.argv[1]), datetime.date(2024, 7, 8))
print("held", flush=True)
time.sleep(float(sys.argv[2]))
"""


def test_a_dead_process_or_a_reused_pid_of_this_machine_is_gone_at_once(tmp_path: Path) -> None:
    locks_dir = tmp_path / "locks"
    holder = subprocess.Popen(
        [sys.executable, "-c", TAKE_THE_DAY, str(locks_dir), "600"], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    with pytest.raises(locks.DayLockedError, match=f"pid {holder.pid} on "):
        locks.acquire(locks_dir, DAY_1, "the next run")  # alive: its day stays its own
    killed(holder)  # no release: its lease would run 30 more minutes, but its process is gone
    locks.acquire(locks_dir, DAY_1, "the next run")

    # A lock of this machine whose pid now belongs to another process (this one, started later).
    (path,) = locks_dir.iterdir()
    lease = json.loads(path.read_bytes()) | {"owner": "an old run", "pid": os.getpid(), "pid_started": 1.0}
    path.write_text(json.dumps(lease))
    locks.acquire(locks_dir, DAY_1, "the run after")


def test_airflow_runs_hand_days_on_within_a_dag_and_wait_for_other_holders(tmp_path: Path) -> None:
    locks_dir = tmp_path / "locks"
    ingest_run = locks.airflow_owner("news_ingest", "scheduled__2024-07-08")
    locks.acquire(locks_dir, DAY_1, ingest_run)
    # A crashed run of the same DAG, which runs one at a time, has ended: its next run takes over.
    locks.acquire(locks_dir, DAY_1, locks.airflow_owner("news_ingest", "manual__2024-07-09"))
    # Another DAG's run, or the CLI, waits for the lease to end: nothing says that run has.
    for claimant in (locks.airflow_owner("news_backfill", "manual__1"), None):
        with pytest.raises(locks.DayLockedError, match="manual__2024-07-09"):
            locks.acquire(locks_dir, DAY_1, claimant)


def test_a_holder_renews_its_lease_while_it_works_and_one_of_two_takeovers_wins(tmp_path: Path) -> None:
    locks_dir = tmp_path / "locks"
    with locks.day_lock(locks_dir, DAY_1, lease_s=0.6):
        threading.Event().wait(1.5)  # 2.5 leases: renewed meanwhile
        with pytest.raises(locks.DayLockedError):
            locks.acquire(locks_dir, DAY_1, "another run")
    assert list(locks_dir.iterdir()) == []

    locks.lock_path(locks_dir, DAY_2).write_bytes(foreign_lease("a dead run", expires_in_s=-1))
    won, lost = [], []

    def claim(owner: str) -> None:
        try:
            locks.acquire(locks_dir, DAY_2, owner)
            won.append(owner)
        except locks.DayLockedError:
            lost.append(owner)

    claimants = [threading.Thread(target=claim, args=(f"run {n}",)) for n in range(8)]
    for thread in claimants:
        thread.start()
    for thread in claimants:
        thread.join()
    assert len(won) == 1 and len(lost) == 7


def test_a_lease_on_object_storage_is_taken_over_once_expired(s3_lake: str) -> None:
    locks_dir = Settings(lake_uri=location(s3_lake)).locks_dir
    locks.lock_path(locks_dir, DAY_1).write_bytes(foreign_lease("a container gone", expires_in_s=600))
    with pytest.raises(locks.DayLockedError, match="a container gone"):
        locks.acquire(locks_dir, DAY_1, "run 2")
    locks.lock_path(locks_dir, DAY_1).write_bytes(foreign_lease("a container gone", expires_in_s=-1))
    locks.acquire(locks_dir, DAY_1, "run 2")
    locks.release(locks_dir, DAY_1, "run 2")
    assert list(locks_dir.glob("*.lock")) == []


def write_warc(path: Path, day: date) -> Path:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=True)
    body = (SEEDS_DIR.parent / "tests" / "fixtures" / "html" / "article_with_inline_teaser.html").read_bytes()
    headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
    record = writer.create_warc_record(
        "https://www.quotidien.fr/otan",
        "response",
        payload=io.BytesIO(body),
        http_headers=headers,
        warc_headers_dict={"WARC-Date": f"{day.isoformat()}T08:00:00Z"},
    )
    writer.write_record(record)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue())
    return path


@pytest.mark.parametrize(
    "damage", [b'{"/a.warc.gz": {"size": 1', b"[1, 2]", b'{"x": {"days": ["2024-13-45"]}}']
)
def test_a_damaged_backfill_index_is_rebuilt(
    damage: bytes, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    warc = write_warc(tmp_path / "warc" / "a.warc.gz", DAY_1)
    index = settings.data_dir / "state" / backfill.INDEX_FILE
    index.parent.mkdir(parents=True)
    index.write_bytes(damage)
    with caplog.at_level(logging.WARNING):
        assert backfill.plan(str(warc), DAY_1, DAY_3, settings) == {DAY_1: [warc.resolve()]}
    assert f"{index} is damaged" in caplog.text
    assert json.loads(index.read_bytes())[str(warc.resolve())]["days"] == [DAY_1.isoformat()]


@pytest.fixture(scope="module")
def backfill_dag(airflow_db: Path):
    from airflow.models import DagBag

    from conftest import PROJECT_DIR

    return DagBag(dag_folder=str(PROJECT_DIR / "dags" / "news_backfill.py")).dags["news_backfill"]


def test_news_backfill_holds_its_days_from_claim_to_teardown(backfill_dag) -> None:
    assert backfill_dag.get_task("claim_days").is_setup and backfill_dag.get_task("release_days").is_teardown
    # The tasks that work on the days run after the claim (each renews the run's lease).
    assert backfill_dag.get_task("claim_days").downstream_task_ids == {
        "collect_day",
        "process_shard",
        "release_days",
    }
    assert backfill_dag.get_task("release_days").upstream_task_ids == {
        "plan_days",
        "claim_days",
        "build_warehouse",
    }


def test_backfill_input_errors_and_days_held_elsewhere_fail_at_once_without_retries(
    backfill_dag, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pendulum

    monkeypatch.setenv("NEWSFLOW_DATA_DIR", str(tmp_path))
    form = {
        "warc": str(tmp_path / "nowhere" / "*.warc.gz"),
        "date_from": "2024-07-01",
        "date_to": "2024-07-31",
    }
    run = backfill_dag.test(logical_date=pendulum.datetime(2024, 8, 1, tz="UTC"), run_conf=form)
    plan = run.get_task_instance("plan_days")
    assert run.state == "failed" and (plan.state, plan.try_number) == ("failed", 1)  # not up_for_retry

    warc = write_warc(tmp_path / "warc" / "a.warc.gz", DAY_1)
    locks_dir = Settings(data_dir=tmp_path).locks_dir
    nightly = locks.airflow_owner("news_ingest", "scheduled__2024-07-08")
    locks.acquire(locks_dir, DAY_1, nightly)
    form |= {"warc": str(warc)}
    run = backfill_dag.test(logical_date=pendulum.datetime(2024, 8, 2, tz="UTC"), run_conf=form)
    claim = run.get_task_instance("claim_days")
    assert run.state == "failed" and (claim.state, claim.try_number) == ("failed", 1)
    assert not (tmp_path / "backfill").exists()  # nothing of the day was touched
    with pytest.raises(locks.DayLockedError, match=nightly):
        locks.acquire(locks_dir, DAY_1)
