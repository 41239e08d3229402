"""newsflow's Airflow UI plugin: a "Mentions" page in the navigation, served by the api-server.

The page is `newsflow.ui.app`'s FastAPI app mounted at /newsflow; the external view embeds it in the
UI (Browse → Mentions). Like every plugin FastAPI app, it is not behind Airflow's login: it shows
read-only counts from the warehouse, nothing an operator could change.
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
