"""Airflow's own api-server app in this process (the project's plugin mounted at /newsflow, the
simple auth manager's routes at /auth), and a real login token from it."""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path

from fastapi.testclient import TestClient


@functools.cache
def _core_app() -> object:
    from airflow.api_fastapi.app import create_app

    return create_app(apps="core")


def api_server(token: str | None = None) -> TestClient:
    """A client of the api-server's core app (built once: it needs a migrated metadata DB, the
    `airflow_db` fixture, and starts the auth manager every token here is signed and checked by),
    carrying `token` as the cookie Airflow's login form sets, if given."""
    return TestClient(_core_app(), cookies={"_token": token} if token else None)  # type: ignore[arg-type]


def login_token(username: str = "admin") -> str:
    """A JWT from the simple auth manager's token endpoint, as its login form gets one, with the
    password it generated into AIRFLOW_HOME."""
    server = api_server()
    passwords = Path(os.environ["AIRFLOW_HOME"]) / "simple_auth_manager_passwords.json.generated"
    password = json.loads(passwords.read_text(encoding="utf-8"))[username]
    response = server.post("/auth/token", json={"username": username, "password": password})
    response.raise_for_status()
    return str(response.json()["access_token"])
