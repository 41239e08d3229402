"""The Mentions page in a real Airflow UI, driven by headless Chromium (`make test-ui`).

`make airflow` (airflow standalone: api-server, scheduler, dag-processor, triggerer) on a free
port, after `make demo` (a real run on the seeds), in a temporary Airflow home: the page sends an
anonymous browser to Airflow's login form, Chromium logs in and comes back to it, opens Browse →
Mentions, finds an entity, goes from it to its articles, opens a day's validation and saves
screenshots (`NEWSFLOW_SCREENSHOT_DIR` keeps copies); then a day triggered through the REST API
with the form's partition date runs under the real scheduler, whose task runners reach the
execution API on that port.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psutil
import pytest

from conftest import PROJECT_DIR

pytestmark = pytest.mark.ui

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
# Without the background-networking flags Chromium keeps calling hosts this machine cannot reach.
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1400,1000",
)
STARTUP_SECONDS = 240
# The scheduler also starts the run of the latest interval when the DAG is unpaused: two runs in a row.
RUN_SECONDS = 600


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def airflow_ui(tmp_path_factory: pytest.TempPathFactory):
    """(base URL, admin password) of `make airflow` on a free port, after `make demo`, both in a
    temporary Airflow home and data folder; stopped afterwards."""
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.skip(
            "Debian's chromium and chromium-driver are not installed (make test-ui installs them as root)"
        )
    home, data = tmp_path_factory.mktemp("airflow_home"), tmp_path_factory.mktemp("data")
    port = free_port()
    make = ["make", "-C", str(PROJECT_DIR), f"AIRFLOW_HOME={home}", f"NEWSFLOW_DATA_DIR={data}"]
    subprocess.run([*make, "demo"], check=True, capture_output=True)
    log = (home / "standalone.log").open("w")
    server = subprocess.Popen(
        [*make, "airflow", f"AIRFLOW_PORT={port}"],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://localhost:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not _healthy(base):
            if time.monotonic() > deadline or server.poll() is not None:
                pytest.fail(f"make airflow did not come up: {(home / 'standalone.log').read_text()[-3000:]}")
            time.sleep(2)
        listening = {c.laddr.ip for c in psutil.net_connections("tcp") if c.laddr and c.laddr.port == port}
        assert listening == {"127.0.0.1"}, f"make airflow listens on {listening}, not this machine only"
        passwords = home / "simple_auth_manager_passwords.json.generated"
        yield base, json.loads(passwords.read_text())["admin"]
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
        log.close()


def _healthy(base: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base}/api/v2/monitor/health", timeout=5) as response:
            return response.status == 200
    except OSError:
        return False


def test_operator_opens_the_mentions_page_from_the_navigation(airflow_ui, tmp_path: Path) -> None:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ready
    from selenium.webdriver.support.ui import WebDriverWait

    base, password = airflow_ui
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    wait = WebDriverWait(driver, 60)
    try:
        # The page itself, before logging in: Airflow's login form, then back to the page.
        driver.get(f"{base}/newsflow/mentions")
        wait.until(ready.presence_of_element_located((By.NAME, "username"))).send_keys("admin")
        assert driver.current_url.startswith(f"{base}/auth/login")
        driver.find_element(By.NAME, "password").send_keys(password)
        driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        wait.until(ready.presence_of_element_located((By.TAG_NAME, "svg")))
        assert driver.current_url == f"{base}/newsflow/mentions"
        driver.get(base)
        wait.until(ready.element_to_be_clickable((By.XPATH, "//button[normalize-space()='Browse']"))).click()
        wait.until(
            ready.element_to_be_clickable((By.XPATH, "//*[@role='menuitem'][normalize-space()='Mentions']"))
        ).click()
        frame = wait.until(ready.presence_of_element_located((By.TAG_NAME, "iframe")))
        # The UI may add the framed page's own path after the route once the frame has loaded.
        assert driver.current_url.startswith(f"{base}/plugin/newsflow-mentions")
        driver.switch_to.frame(frame)
        wait.until(ready.presence_of_element_located((By.TAG_NAME, "svg")))
        page = driver.find_element(By.TAG_NAME, "body").text
        assert "what the pipeline found" in page and "Newest data: ingest date 2024-07-10" in page
        assert "Jens Stoltenberg" in page and "Latest stories" in page
        driver.switch_to.default_content()
        shots = {
            name: tmp_path / f"{name}.png"
            for name in ("airflow_mentions", "mentions_page", "articles_page", "quality_page")
        }
        assert (
            driver.save_screenshot(str(shots["airflow_mentions"]))
            and shots["airflow_mentions"].stat().st_size > 10_000
        )
        driver.set_window_size(1200, 2600)  # the page alone, every section
        driver.get(f"{base}/newsflow/mentions")
        # Find an entity, pick it, and go from its chart to the articles behind it.
        wait.until(ready.presence_of_element_located((By.NAME, "find"))).send_keys("stolt")
        before = driver.find_element(By.TAG_NAME, "html")
        driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
        wait.until(ready.staleness_of(before))  # the search's page, not the same link on the old one
        wait.until(ready.element_to_be_clickable((By.LINK_TEXT, "Jens Stoltenberg"))).click()
        wait.until(ready.presence_of_element_located((By.TAG_NAME, "svg")))
        assert driver.save_screenshot(str(shots["mentions_page"]))
        driver.find_element(By.PARTIAL_LINK_TEXT, "Every article naming Jens Stoltenberg").click()
        wait.until(ready.presence_of_element_located((By.TAG_NAME, "mark")))
        listed = driver.find_element(By.TAG_NAME, "body").text
        assert (
            "5 articles, 2024-07-10 to 2024-07-10" in listed and "Articles naming Jens Stoltenberg" in listed
        )
        assert "Stoltenberg" in driver.find_element(By.TAG_NAME, "mark").text
        driver.set_window_size(1200, 1400)
        assert driver.save_screenshot(str(shots["articles_page"]))
        # One day's validation, from the runs table.
        driver.get(f"{base}/newsflow/mentions")
        wait.until(ready.element_to_be_clickable((By.LINK_TEXT, "Validation of 2024-07-10"))).click()
        wait.until(
            lambda d: (
                d.current_url.endswith("/quality/2024-07-10")
                and "Expectations" in d.find_element(By.TAG_NAME, "body").text
            )
        )
        assert driver.save_screenshot(str(shots["quality_page"]))
        if keep := os.environ.get("NEWSFLOW_SCREENSHOT_DIR"):
            for screenshot in shots.values():
                shutil.copy(screenshot, Path(keep) / screenshot.name)
    finally:
        driver.quit()


def test_the_served_page_refuses_anonymous_callers(airflow_ui) -> None:
    base, password = airflow_ui
    for path in (
        "/newsflow/mentions",
        "/newsflow/quality/index.html",
        "/newsflow/docs",
        "/newsflow/openapi.json",
    ):
        with pytest.raises(urllib.error.HTTPError) as refused:
            _call(base, "GET", path)
        assert refused.value.code == 401, path
    token = _call(base, "POST", "/auth/token", {"username": "admin", "password": password})["access_token"]
    request = urllib.request.Request(
        f"{base}/newsflow/mentions", headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(request, timeout=30) as page:
        assert page.status == 200 and b"what the pipeline found" in page.read()


def test_a_day_triggered_with_the_form_runs_under_the_scheduler(airflow_ui) -> None:
    base, password = airflow_ui
    token = _call(base, "POST", "/auth/token", {"username": "admin", "password": password})["access_token"]
    _call(base, "PATCH", "/api/v2/dags/news_ingest", {"is_paused": False}, token)
    run = _call(
        base,
        "POST",
        "/api/v2/dags/news_ingest/dagRuns",
        {"logical_date": None, "conf": {"partition_date": "2024-07-11"}},
        token,
    )
    deadline = time.monotonic() + RUN_SECONDS
    while (
        state := _call(base, "GET", f"/api/v2/dags/news_ingest/dagRuns/{run['dag_run_id']}", token=token)[
            "state"
        ]
    ) not in ("success", "failed"):
        assert time.monotonic() < deadline, f"the run is still {state}"
        time.sleep(5)
    assert state == "success"
    publish = _call(
        base,
        "GET",
        f"/api/v2/dags/news_ingest/dagRuns/{run['dag_run_id']}/taskInstances/publish/xcomEntries/return_value",
        token=token,
    )
    assert (publish["value"]["clean"], publish["value"]["quarantined"]) == (5, 0)
    # Unpausing started the nightly run of yesterday (a whole day), not of today.
    (scheduled,) = _call(base, "GET", "/api/v2/dags/news_ingest/dagRuns?run_type=scheduled", token=token)[
        "dag_runs"
    ]
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    assert scheduled["logical_date"].startswith(yesterday.isoformat())


def _call(base: str, method: str, path: str, body: dict | None = None, token: str | None = None) -> dict:
    request = urllib.request.Request(
        f"{base}{path}",
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={
            "Content-Type": "application/json",
            **({"Authorization": f"Bearer {token}"} if token else {}),
        },
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())
