"""newsflow: news articles → clean text → Parquet lake → DuckDB mentions over time."""

__all__ = ["__version__"]
__version__ = "0.1.0"
