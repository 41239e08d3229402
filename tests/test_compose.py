"""docker-compose.yaml, as Debian's docker-compose reads it (`config` needs no Docker engine)."""

from __future__ import annotations

import shutil
import subprocess

import pytest
import yaml

from conftest import PROJECT_DIR

AIRFLOW_SERVICES = {
    "airflow-apiserver",
    "airflow-scheduler",
    "airflow-dag-processor",
    "airflow-triggerer",
    "airflow-worker",
    "airflow-init",
}


@pytest.fixture(scope="module")
def compose() -> dict:
    if shutil.which("docker-compose") is None:
        pytest.skip("Debian's docker-compose is not installed (make test installs it)")
    done = subprocess.run(
        ["docker-compose", "-f", str(PROJECT_DIR / "docker-compose.yaml"), "config"],
        capture_output=True,
        text=True,
        cwd=PROJECT_DIR,
        env={"PATH": "/usr/bin:/bin"},  # the file's defaults, not this machine's variables
    )
    assert done.returncode == 0, done.stderr
    return yaml.safe_load(done.stdout)


def test_compose_runs_airflow_on_celery_with_postgres_redis_and_an_object_store(compose: dict) -> None:
    services = compose["services"]
    assert set(services) == AIRFLOW_SERVICES | {"postgres", "redis", "minio", "minio-init"}
    for name in AIRFLOW_SERVICES:
        service = services[name]
        env = service["environment"]
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor", name
        assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql+psycopg2://"), name
        assert env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://"), name
        assert env["NEWSFLOW_LAKE_URI"].startswith("s3://") and env["AWS_ENDPOINT_URL"] == "http://minio:9000"
        # One image, built once from the Dockerfile, for every Airflow service.
        assert service["image"] == services["airflow-scheduler"]["image"] and service["build"]["context"]
        assert {v.split(":")[0] for v in service["volumes"]} >= {"airflow-logs", "newsflow-data"}, name
        assert services["postgres"] and "postgres" in service["depends_on"]
    for name in AIRFLOW_SERVICES - {"airflow-init"}:
        assert services[name]["depends_on"]["airflow-init"]["condition"] == "service_completed_successfully"
        assert services[name]["restart"] == "always" and services[name]["healthcheck"]["test"], name
    assert services["airflow-worker"]["command"] == "celery worker"
    # Scalable: `--scale airflow-worker=3` needs no fixed container name and no published port.
    assert "container_name" not in services["airflow-worker"] and "ports" not in services["airflow-worker"]
    assert services["airflow-worker"]["depends_on"]["airflow-apiserver"]["condition"] == "service_healthy"
    assert set(compose["volumes"]) == {"postgres-db", "minio-data", "airflow-logs", "newsflow-data"}
    assert "db migrate" in " ".join(services["airflow-init"]["command"])
    assert "newsflow_http" in " ".join(services["airflow-init"]["command"])


def test_the_image_is_the_official_airflow_image_plus_the_pinned_requirements() -> None:
    dockerfile = (PROJECT_DIR / "Dockerfile").read_text(encoding="utf-8")
    requirements = (PROJECT_DIR / "requirements.txt").read_text(encoding="utf-8").split()
    (airflow_pin,) = [line for line in requirements if line.startswith("apache-airflow==")]
    assert f"FROM apache/airflow:{airflow_pin.split('==')[1]}-python3.11" in dockerfile
    assert "pip install --no-cache-dir -r /opt/newsflow/requirements.txt" in dockerfile
