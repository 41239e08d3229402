"""The Mentions page of the Airflow UI (`app`), read-only from the warehouse.

May import: settings, schema, warehouse.
"""
