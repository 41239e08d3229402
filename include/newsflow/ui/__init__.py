"""The Mentions page of the Airflow UI (`app`: routes and exports), read-only from the warehouse,
behind Airflow's own login (`auth`): its pages (`pages`), what they read (`queries`), charts
(`charts`), article lists (`drill`), tables (`tables`) and each day's validation (`quality`).

May import: settings, schema, store, warehouse.
"""
