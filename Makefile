# newsflow: `make demo` runs the pipeline on seeds/ through Airflow; `make test` runs the tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_DATE ?= 2024-07-10

# A project-local Airflow: SQLite metadata DB in .airflow/, our dags/ only, no example DAGs.
export AIRFLOW_HOME := $(CURDIR)/.airflow
export AIRFLOW__CORE__DAGS_FOLDER := $(CURDIR)/dags
export AIRFLOW__CORE__LOAD_EXAMPLES := False
export AIRFLOW__CORE__PLUGINS_FOLDER := $(CURDIR)/plugins
export AIRFLOW__CORE__PARALLELISM := 4
export NEWSFLOW_DATA_DIR ?= $(CURDIR)/data
export NEWSFLOW_SOURCE_DIR ?= $(CURDIR)/seeds
export GX_ANALYTICS_ENABLED := false

# The UI's port; the api-server's execution API (which task runners call) follows it.
AIRFLOW_PORT ?= 8080
# The address the api-server listens on: this machine only, unless told otherwise (AIRFLOW_HOST=0.0.0.0
# behind a proxy or firewall; see README "The Airflow UI").
AIRFLOW_HOST ?= 127.0.0.1

.PHONY: install demo lint test test-ui test-integration airflow bench clean

install: $(VENV)/.installed

$(VENV)/.installed: requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

$(AIRFLOW_HOME)/airflow.db: $(VENV)/.installed
	mkdir -p $(AIRFLOW_HOME)
	$(BIN)/airflow db migrate > $(AIRFLOW_HOME)/migrate.log 2>&1 || (cat $(AIRFLOW_HOME)/migrate.log; exit 1)
	$(BIN)/airflow pools set newsflow_http 4 "newsflow HTTP fetching" >> $(AIRFLOW_HOME)/migrate.log 2>&1

demo: $(AIRFLOW_HOME)/airflow.db
	$(BIN)/airflow dags test news_ingest $(DEMO_DATE) --conf '{"partition_date": "$(DEMO_DATE)"}' \
		> $(AIRFLOW_HOME)/demo.log 2>&1 \
		|| (tail -50 $(AIRFLOW_HOME)/demo.log; exit 1)
	grep -q "state=success" $(AIRFLOW_HOME)/demo.log || (tail -50 $(AIRFLOW_HOME)/demo.log; exit 1)
	@echo "news_ingest $(DEMO_DATE): success (log: $(AIRFLOW_HOME)/demo.log)"
	$(BIN)/newsflow sql "select left(source_path, 12) as file, language, text_chars, n_removed_spans, left(title, 60) as title from articles order by file"
	$(BIN)/newsflow mentions --by day

# Debian packages a target needs, installed when missing and possible (tests that need them skip,
# saying why, otherwise): $(call debian,COMMAND,PACKAGES).
debian = command -v $(1) > /dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	apt-get install -y -qq $(2) > /dev/null) || echo "could not install $(2)"

# ruff (rules and format) on everything, mypy --strict on the package (pyproject.toml says how).
lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# docker-compose only reads the compose file (`config`): no Docker engine runs here.
test: $(VENV)/.installed
	$(call debian,docker-compose,docker-compose)
	$(BIN)/pytest

# The browser test: logs into a real `airflow standalone` in headless Chromium (Debian's chromium and
# chromium-driver, installed here when missing and possible; the test skips, saying why, otherwise).
test-ui: $(VENV)/.installed
	$(call debian,chromedriver,chromium chromium-driver)
	$(BIN)/pytest -m ui -rs

# A real Celery cluster on 127.0.0.1: Debian's PostgreSQL and Redis, moto's S3 server, Airflow's
# api-server, scheduler, dag-processor and two Celery workers; one run, a rerun, a worker killed.
test-integration: $(VENV)/.installed
	$(call debian,/usr/lib/postgresql/15/bin/initdb,postgresql)
	$(call debian,redis-server,redis-server)
	$(BIN)/pytest -m integration -rs

# The Airflow UI on http://localhost:$(AIRFLOW_PORT) (user admin, password in
# .airflow/simple_auth_manager_passwords.json.generated), with the Mentions page under Browse.
# standalone starts its components as `airflow …` subprocesses: the venv must be on PATH. The log
# servers' address is not configurable in Airflow 3.3 (all interfaces): only their ports move.
airflow: $(AIRFLOW_HOME)/airflow.db
	PATH="$(CURDIR)/$(BIN):$$PATH" AIRFLOW__API__HOST=$(AIRFLOW_HOST) AIRFLOW__API__PORT=$(AIRFLOW_PORT) \
		AIRFLOW__API__BASE_URL=http://localhost:$(AIRFLOW_PORT) \
		AIRFLOW__CORE__EXECUTION_API_SERVER_URL=http://localhost:$(AIRFLOW_PORT)/execution/ \
		AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT=$$(($(AIRFLOW_PORT) + 10000)) \
		AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT=$$(($(AIRFLOW_PORT) + 10001)) \
		$(BIN)/airflow standalone

EVAL_DIR ?= $(CURDIR)/../shared/eval
bench: $(VENV)/.installed
	$(BIN)/python bench/throughput.py $(EVAL_DIR)
	$(BIN)/python bench/throughput.py $(EVAL_DIR) --no-dates
	$(BIN)/python bench/warehouse.py
	$(BIN)/python bench/stories.py $(EVAL_DIR)
	$(BIN)/python bench/warc.py $(EVAL_DIR)
	$(BIN)/python bench/language.py $(EVAL_DIR)
	$(BIN)/python bench/extraction.py $(EVAL_DIR)
	$(BIN)/python bench/teasers.py $(EVAL_DIR)
	$(BIN)/python bench/dates.py $(EVAL_DIR)
	$(BIN)/python bench/page_types.py $(EVAL_DIR)
	$(BIN)/python bench/entities.py $(EVAL_DIR)
	$(BIN)/python bench/rematch.py $(EVAL_DIR)

clean:
	rm -rf data $(AIRFLOW_HOME)
