"""newsflow: news articles → clean text → Parquet lake → DuckDB mentions over time.

The package is layered; each subpackage's docstring says what it owns and what it may import
(`tests/test_layout.py` checks it), lowest first:

- `settings`, `schema`: the configuration and every record, defined once; `partition`: the day a
  run ingests; `upstream`: the fence around the private parts of the libraries newsflow builds on.
- `store` → `document` → `entities` → `ingest` → `day` → `warehouse` → `ui`: the stages.
- `tasks` (every DAG task and the CLI's whole day), `extract` (the public one-page call), `cli`
  and `dag_defaults` compose them; the DAG files and the CLI call `tasks`.
"""

__all__ = ["__version__"]
__version__ = "0.1.0"
