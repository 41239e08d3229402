"""The DuckDB warehouse built from the lake with include/sql's models (`build`), and the mentions
chart and page rendered from it (`report`).

May import: settings, schema, store, entities.
"""
