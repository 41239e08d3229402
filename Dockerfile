# The image every Airflow service of docker-compose.yaml runs: the official Airflow image plus
# newsflow's pinned requirements and the package (installed once, at build time, not at each start).
FROM apache/airflow:3.3.2-python3.11

COPY --chown=airflow:root requirements.txt /opt/newsflow/requirements.txt
RUN pip install --no-cache-dir -r /opt/newsflow/requirements.txt

# Editable: the package finds its SQL models and rules beside it, under /opt/newsflow/include.
COPY --chown=airflow:root pyproject.toml /opt/newsflow/
COPY --chown=airflow:root include /opt/newsflow/include
COPY --chown=airflow:root dags /opt/newsflow/dags
COPY --chown=airflow:root plugins /opt/newsflow/plugins
COPY --chown=airflow:root seeds /opt/newsflow/seeds
RUN pip install --no-cache-dir --no-deps -e /opt/newsflow

ENV AIRFLOW__CORE__DAGS_FOLDER=/opt/newsflow/dags \
    AIRFLOW__CORE__PLUGINS_FOLDER=/opt/newsflow/plugins \
    NEWSFLOW_SOURCE_DIR=/opt/newsflow/seeds \
    GX_ANALYTICS_ENABLED=false
