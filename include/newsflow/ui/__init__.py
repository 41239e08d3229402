"""The Mentions page of the Airflow UI (`app`: routes and exports), read-only from the warehouse,
behind Airflow's own login (`auth`): its pages (`pages`), what they read (`queries`), charts
(`charts`), article lists (`drill`) and tables (`tables`).

May import: settings, schema, warehouse.
"""
