"""Shared fixtures. Airflow's home is pointed at a temporary folder before anything imports airflow."""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

PROJECT_DIR = Path(__file__).resolve().parent.parent
SEEDS_DIR = PROJECT_DIR / "seeds"
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
