"""newsflow's Airflow UI plugin: a "Mentions" page in the navigation, served by the api-server.

The page is `newsflow.ui.app`'s FastAPI app mounted at /newsflow; the external view embeds it in the
UI (Browse → Mentions). Airflow does not authenticate plugin apps: this one checks Airflow's own
login on every route itself (`newsflow.ui.auth`), so the framed page rides on the UI's session.
"""

from airflow.plugins_manager import AirflowPlugin

from newsflow.ui.app import create_app


class NewsflowUIPlugin(AirflowPlugin):
    name = "newsflow"
    fastapi_apps = [{"app": create_app(), "url_prefix": "/newsflow", "name": "newsflow mentions"}]
    external_views = [
        {
            "name": "Mentions",
            "href": "newsflow/mentions",
            "url_route": "newsflow-mentions",
            "destination": "nav",
            "category": "browse",
        }
    ]
