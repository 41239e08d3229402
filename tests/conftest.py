"""Shared fixtures. Airflow's home is pointed at a temporary folder before anything imports airflow."""

from __future__ import annotations

import atexit
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from newsflow.schema import DATASETS

PROJECT_DIR = Path(__file__).resolve().parent.parent
SEEDS_DIR = PROJECT_DIR / "seeds"
# The datasets a day's publish writes that the warehouse loads (enrich writes `discovered` later).
PUBLISHED_DATASETS = [dataset.name for dataset in DATASETS if dataset.published and dataset.in_warehouse]
FIXTURES_DIR = Path(__file__).resolve().parent / "fixtures"

_AIRFLOW_HOME = Path(tempfile.mkdtemp(prefix="newsflow-airflow-"))
atexit.register(shutil.rmtree, _AIRFLOW_HOME, True)
os.environ.update(
    {
        "AIRFLOW_HOME": str(_AIRFLOW_HOME),
        "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT_DIR / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(PROJECT_DIR / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
        "GX_ANALYTICS_ENABLED": "false",
    }
)


@pytest.fixture(scope="session")
def airflow_db() -> Path:
    """A migrated SQLite metadata DB in the temporary AIRFLOW_HOME (once per test session)."""
    airflow = Path(sys.executable).with_name("airflow")
    subprocess.run([str(airflow), "db", "migrate"], check=True, capture_output=True, env=os.environ.copy())
    subprocess.run(
        [str(airflow), "pools", "set", "newsflow_http", "2", "newsflow HTTP fetching"],
        check=True,
        capture_output=True,
        env=os.environ.copy(),
    )
    return _AIRFLOW_HOME


@pytest.fixture
def settings(tmp_path: Path):
    from newsflow.settings import Settings

    return Settings(data_dir=tmp_path / "data", source_dir=SEEDS_DIR)


def seed_text(prefix: str) -> str:
    """The raw text of the seed whose file name starts with `prefix` (e.g. "003")."""
    (path,) = SEEDS_DIR.glob(f"{prefix}_*.txt")
    return path.read_text(encoding="utf-8")


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """A real S3 endpoint on 127.0.0.1: moto's server, in its own process, for the session."""
    import httpx

    port = free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("moto_server")), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            httpx.get(endpoint, timeout=1)
            break
        except httpx.TransportError:
            time.sleep(0.1)
    else:
        server.kill()
        raise RuntimeError("moto_server did not start")
    yield endpoint
    server.terminate()
    server.wait(10)


@pytest.fixture
def s3_lake(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> str:
    """`s3://<a new bucket>/lake`, with the store configured the standard way (AWS_* variables)."""
    import s3fs

    env = {
        "AWS_ENDPOINT_URL": s3_endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    bucket = "newsflow-" + re.sub(r"[^a-z0-9]+", "-", request.node.name.lower())[:40].strip("-")
    s3fs.S3FileSystem().mkdir(bucket)
    return f"s3://{bucket}/lake"
