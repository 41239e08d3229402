"""news_ingest on a real distributed Airflow, all on 127.0.0.1 (`make test-integration`).

PostgreSQL (metadata DB), Redis (Celery broker), moto's S3 server (the lake), Airflow's api-server,
scheduler and dag-processor, and two Celery workers that name themselves worker-a and worker-b
(the task instances' hostname). The run is triggered through the REST API v2.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import httpx
import pyarrow as pa
import pytest
import s3fs

from newsflow.store import lake
from newsflow.store.storage import location

from conftest import PROJECT_DIR, PUBLISHED_DATASETS, SEEDS_DIR, free_port

pytestmark = pytest.mark.integration

PG_BIN = Path("/usr/lib/postgresql/15/bin")
EVAL_PAGES = PROJECT_DIR.parent / "shared" / "eval" / "zyte" / "html"
DAY = date(2024, 7, 10)
KILL_DAY = date(2024, 7, 11)
BUCKET = "newsflow-cluster"
RUN_TIMEOUT_S = 900


@dataclass
class Cluster:
    root: Path
    env: dict[str, str]
    api: str
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    token: str = ""

    def start(self, name: str, args: list[str], **env: str) -> None:
        log = (self.root / "logs" / f"{name}.log").open("w")
        self.processes[name] = subprocess.Popen(
            args, env=self.env | env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def airflow(self, name: str, *args: str, **env: str) -> None:
        self.start(name, [str(Path(sys.executable).with_name("airflow")), *args], **env)

    def call(self, method: str, path: str, **kwargs) -> dict:  # type: ignore[no-untyped-def]
        response = httpx.request(
            method,
            f"{self.api}{path}",
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=30,
            **kwargs,
        )
        assert response.status_code < 300, f"{method} {path}: {response.status_code} {response.text}"
        return response.json()

    def log_tails(self) -> str:
        return "\n".join(
            f"--- {p.name}\n" + "\n".join(p.read_text(errors="replace").splitlines()[-25:])
            for p in sorted((self.root / "logs").glob("*.log"))
        )


def _wait(what: str, ready, timeout: float = 120) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if ready():
                return
        except (httpx.TransportError, OSError, subprocess.CalledProcessError):
            pass
        time.sleep(1)
    raise TimeoutError(f"{what} not ready after {timeout} s")


def _as_postgres(*args: str) -> list[str]:
    """PostgreSQL refuses to run as root: the servers run as Debian's `postgres` user then."""
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else list(args)


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    for tool in (PG_BIN / "initdb", Path(shutil.which("redis-server") or "/missing")):
        if not tool.exists():
            pytest.skip(f"{tool} is missing: `make test-integration` installs PostgreSQL and Redis")
    root = Path(tempfile.mkdtemp(prefix="newsflow-cluster-"))  # not under pytest's 0700 folder:
    root.chmod(0o755)  # the postgres user must reach its data folder
    (root / "logs").mkdir()
    pg_port, redis_port, s3_port, api_port = (free_port() for _ in range(4))
    pg_data = root / "pg"
    pg_data.mkdir()
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(pg_data, "postgres")
    subprocess.run(
        _as_postgres(str(PG_BIN / "initdb"), "-D", str(pg_data), "-U", "airflow", "--auth=trust"),
        check=True,
        capture_output=True,
    )
    corpus = root / "corpus"
    shutil.copytree(EVAL_PAGES if EVAL_PAGES.is_dir() else SEEDS_DIR, corpus)
    endpoint = f"http://127.0.0.1:{s3_port}"
    db = f"airflow@127.0.0.1:{pg_port}/airflow"
    (root / "passwords.json").write_text(json.dumps({"admin": "admin"}))
    env = {
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        "PYTHONPATH": str(Path(__file__).parent),  # for the workers' hostname callable
        "AIRFLOW_HOME": str(root / "airflow"),
        "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"postgresql+psycopg2://{db}",
        "AIRFLOW__CELERY__BROKER_URL": f"redis://127.0.0.1:{redis_port}/0",
        "AIRFLOW__CELERY__RESULT_BACKEND": f"db+postgresql://{db}",
        "AIRFLOW__CELERY__WORKER_CONCURRENCY": "2",
        "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT_DIR / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(PROJECT_DIR / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
        "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",  # only the runs the test triggers
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{api_port}/execution/",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(root / "passwords.json"),
        "AIRFLOW__API__PORT": str(api_port),
        "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{api_port}",
        "AIRFLOW__API_AUTH__JWT_SECRET": "cluster-test-secret",
        "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
        # A worker killed mid-task stops heartbeating: its task is failed, then retried, within a minute.
        "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": "30",
        "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL": "5",
        "GX_ANALYTICS_ENABLED": "false",
        "NEWSFLOW_LAKE_URI": f"s3://{BUCKET}/lake",
        "NEWSFLOW_DATA_DIR": str(root / "data"),
        "NEWSFLOW_SOURCE_DIR": str(corpus),
        "NEWSFLOW_SHARD_DOCS": "15" if EVAL_PAGES.is_dir() else "1",
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    c = Cluster(root, env, f"http://127.0.0.1:{api_port}")
    try:
        c.start(
            "postgres",
            _as_postgres(
                str(PG_BIN / "postgres"),
                "-D",
                str(pg_data),
                "-p",
                str(pg_port),
                "-k",
                str(root),
                "-h",
                "127.0.0.1",
            ),
        )
        c.start(
            "redis",
            [
                "redis-server",
                "--port",
                str(redis_port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
        )
        c.start(
            "s3", [str(Path(sys.executable).with_name("moto_server")), "-H", "127.0.0.1", "-p", str(s3_port)]
        )
        _wait(
            "postgres",
            lambda: subprocess.run(
                [str(PG_BIN / "pg_isready"), "-h", "127.0.0.1", "-p", str(pg_port)],
                check=True,
                capture_output=True,
            ),
        )
        subprocess.run(
            [str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(pg_port), "-U", "airflow", "airflow"],
            check=True,
        )
        _wait("s3", lambda: httpx.get(endpoint, timeout=2))
        os.environ.update({k: v for k, v in env.items() if k.startswith("AWS_")})
        s3fs.S3FileSystem.clear_instance_cache()
        s3fs.S3FileSystem().mkdir(BUCKET)
        migrate = subprocess.run(["airflow", "db", "migrate"], env=env, capture_output=True, text=True)
        assert migrate.returncode == 0, migrate.stdout[-3000:] + migrate.stderr[-3000:]
        subprocess.run(
            ["airflow", "pools", "set", "newsflow_http", "4", "http"],
            env=env,
            check=True,
            capture_output=True,
        )
        c.airflow("api-server", "api-server")
        c.airflow("scheduler", "scheduler")
        c.airflow("dag-processor", "dag-processor")
        for name in ("worker-a", "worker-b"):
            c.airflow(
                name,
                "celery",
                "worker",
                "--celery-hostname",
                f"{name}@%h",
                NEWSFLOW_WORKER_NAME=name,
                AIRFLOW__CORE__HOSTNAME_CALLABLE="cluster_hostname.worker_name",
                AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT=str(free_port()),
            )
        _wait("api-server", lambda: httpx.get(f"{c.api}/api/v2/version", timeout=2).status_code == 200, 180)
        c.token = httpx.post(
            f"{c.api}/auth/token", json={"username": "admin", "password": "admin"}, timeout=10
        ).json()["access_token"]
        _wait(
            "news_ingest parsed",
            lambda: (
                httpx.get(
                    f"{c.api}/api/v2/dags/news_ingest",
                    headers={"Authorization": f"Bearer {c.token}"},
                    timeout=5,
                ).status_code
                == 200
            ),
            180,
        )
        yield c
    except BaseException:
        print(c.log_tails())
        raise
    finally:
        for process in reversed(list(c.processes.values())):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in c.processes.values():
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        shutil.rmtree(root, ignore_errors=True)


def trigger(cluster: Cluster, day: date, run_id: str) -> str:
    body = {"dag_run_id": run_id, "logical_date": None, "conf": {"partition_date": day.isoformat()}}
    return cluster.call("POST", "/api/v2/dags/news_ingest/dagRuns", json=body)["dag_run_id"]


def wait_for(cluster: Cluster, run_id: str, on_running=None) -> str:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + RUN_TIMEOUT_S
    while time.monotonic() < deadline:
        state = cluster.call("GET", f"/api/v2/dags/news_ingest/dagRuns/{run_id}")["state"]
        if state in ("success", "failed"):
            return state
        if on_running is not None:
            on_running()
        time.sleep(2)
    raise TimeoutError(f"{run_id} still running after {RUN_TIMEOUT_S} s\n{cluster.log_tails()}")


def task_instances(cluster: Cluster, run_id: str) -> list[dict]:
    path = f"/api/v2/dags/news_ingest/dagRuns/{run_id}/taskInstances?limit=1000"
    return cluster.call("GET", path)["task_instances"]


def lake_day(day: date) -> dict[str, pa.Table]:
    root = location(f"s3://{BUCKET}/lake")
    tables = {dataset: lake.read_partition(root, dataset, day) for dataset in PUBLISHED_DATASETS}
    return {d: t.drop_columns([c for c in ("fetched_at",) if c in t.column_names]) for d, t in tables.items()}


def test_a_day_runs_on_two_workers_lands_on_s3_and_reruns_identically(cluster: Cluster) -> None:
    run = trigger(cluster, DAY, "first")
    assert wait_for(cluster, run) == "success", cluster.log_tails()
    shards = [ti for ti in task_instances(cluster, run) if ti["task_id"] == "process_shard"]
    assert len(shards) >= 4
    assert {ti["hostname"] for ti in task_instances(cluster, run)} == {"worker-a", "worker-b"}
    pages = len(list((Path(cluster.env["NEWSFLOW_SOURCE_DIR"])).iterdir()))
    first = lake_day(DAY)
    assert first["articles"].num_rows + first["quarantine"].num_rows == pages
    import duckdb

    with duckdb.connect(
        str(Path(cluster.env["NEWSFLOW_DATA_DIR"]) / "warehouse.duckdb"), read_only=True
    ) as con:
        assert con.execute("select count(*) from lake_articles").fetchone() == (first["articles"].num_rows,)

    rerun = trigger(cluster, DAY, "rerun")
    assert wait_for(cluster, rerun) == "success", cluster.log_tails()
    assert lake_day(DAY) == first


def test_a_worker_killed_mid_run_loses_nothing_and_duplicates_nothing(cluster: Cluster) -> None:
    run = trigger(cluster, KILL_DAY, "killed-worker")
    killed: list[str] = []

    def kill_a_worker_running_a_shard() -> None:
        if killed:
            return
        running = [
            ti
            for ti in task_instances(cluster, run)
            if ti["task_id"] == "process_shard" and ti["state"] == "running"
        ]
        if running and running[0]["hostname"] in cluster.processes:
            victim = running[0]["hostname"]
            os.killpg(cluster.processes[victim].pid, signal.SIGKILL)  # the worker and its task processes
            killed.append(victim)

    assert wait_for(cluster, run, kill_a_worker_running_a_shard) == "success", cluster.log_tails()
    assert killed, "no shard was seen running"
    instances = task_instances(cluster, run)
    retried = [ti for ti in instances if ti["task_id"] == "process_shard" and ti["try_number"] > 1]
    assert retried and all(ti["hostname"] != killed[0] for ti in retried)
    day = lake_day(KILL_DAY)
    ids = day["articles"].column("article_id").to_pylist()
    assert len(ids) == len(set(ids)) and day["articles"].num_rows == lake_day(DAY)["articles"].num_rows
