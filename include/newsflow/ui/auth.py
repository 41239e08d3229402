"""Who may read the Mentions page: whoever Airflow's own login lets read news_ingest's runs.

Airflow does not authenticate a plugin's FastAPI app (a mounted app inherits none of the core API's
dependencies), so the app puts Airflow's own check on every route: the JWT the Airflow UI uses (its
`_token` cookie, or an `Authorization: Bearer` header from `POST /auth/token`), validated by the
configured auth manager, which must also grant reading the runs of `news_ingest`: the page shows
what those runs found. A browser without a valid login is sent to Airflow's login page and back.
"""

from __future__ import annotations

from airflow.api_fastapi.app import get_auth_manager
from airflow.api_fastapi.auth.managers.models.resource_details import DagAccessEntity
from airflow.api_fastapi.core_api.security import requires_access_dag
from fastapi import Depends, Request, Response, status
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import RedirectResponse
from starlette.exceptions import HTTPException

# The DAG whose runs the page reports on: reading them is the permission the page asks for.
REPORTED_DAG_ID = "news_ingest"
# The dependency every route carries: 401 without a valid Airflow login, 403 without the right to
# read news_ingest's runs.
READ_RUNS_REQUIRED = Depends(requires_access_dag("GET", DagAccessEntity.RUN, param_dag_id=REPORTED_DAG_ID))


async def login_or_refuse(request: Request, exc: Exception) -> Response:
    """A browser page asked for without a valid login goes to Airflow's login form (which comes
    back here once logged in); any other refusal keeps its status and detail."""
    assert isinstance(exc, HTTPException)  # registered for HTTPException only
    wants_page = request.method == "GET" and "text/html" in request.headers.get("accept", "")
    if exc.status_code == status.HTTP_401_UNAUTHORIZED and wants_page:
        back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(get_auth_manager().get_url_login(next_url=back), status.HTTP_303_SEE_OTHER)
    return await http_exception_handler(request, exc)
