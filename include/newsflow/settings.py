"""One frozen settings object shared by the DAGs, the CLI and the tests; NEWSFLOW_* env vars override."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path

from upath import UPath

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parent.parent


@dataclass(frozen=True, slots=True)
class Settings:
    # This machine's files: the warehouse, reports, backfill indexes.
    data_dir: Path = Path("data")
    # The lake: a folder or an object store (NEWSFLOW_LAKE_URI=s3://bucket/lake). Its parent also
    # holds what every worker must reach: staging/, raw/ (the archive), locks/. Default: data_dir / "lake".
    lake_uri: UPath = None  # type: ignore[assignment]  # None: replaced in __post_init__
    warehouse_path: Path = None  # type: ignore[assignment]  # default: data_dir / "warehouse.duckdb"
    source_dir: Path = PROJECT_DIR / "seeds"
    # sources.yaml (folder, urls, rss, sitemap sources); unset means the one folder source_dir.
    sources_path: Path | None = None
    # The watchlist of tracked entities: the user's file, created from the packaged example on first
    # use (newsflow.entities.watchlist). Default: data_dir / "entities.yaml".
    entities_path: Path = None  # type: ignore[assignment]  # filled in by __post_init__
    sql_dir: Path = PROJECT_DIR / "include" / "sql"
    # Languages the warehouse is built for; anything else is quarantined by validation.
    languages: tuple[str, ...] = ("fr", "en")
    # Below ~200 characters a "news article" is a teaser, an error page or pure boilerplate.
    min_text_chars: int = 200
    # Far above the longest seed or eval article (~40k); longer texts are concatenated pages.
    max_text_chars: int = 200_000
    # Near-duplicate stories (dedup.assign_story_ids): the Jaccard of content-word bigrams above which
    # an article joins an earlier one's story. Chosen from bench/stories.py (reprints made from the
    # eval pages: retitled, cut, reordered, lead-only; F1 is flat at 0.970 from 0.08 to 0.12) as the
    # low end of that plateau: unrelated articles score at most 0.055 there, two translations of one
    # interview (seeds 000/004) 0.115. Independent coverage of one event that shares a list of
    # facts (0.161) or a company's boilerplate paragraph (0.192) still merges: no threshold that
    # keeps translated reprints together can part those. tests/fixtures/stories checks both sides.
    story_min_jaccard: float = 0.08
    # LSH with one MinHash row per band finds a pair with probability 1 - (1 - J) ** bands:
    # 0.98 at J = 0.115, 0.93 at J = 0.08; candidates are confirmed exactly, so more bands only cost time.
    story_lsh_bands: int = 32
    # Syndicated copies appear within days; older stories are not reopened.
    story_window_days: int = 30
    # HTTP fetching (fetch.py). Say who we are; sites block anonymous bots.
    user_agent: str = "newsflow/0.1 (+https://github.com/newsflow; news research crawler)"
    connect_timeout_s: float = 5.0
    read_timeout_s: float = 15.0
    # Retries after the first attempt, for timeouts, connection errors, 429 and 5xx only.
    fetch_retries: int = 3
    fetch_backoff_s: float = 1.0  # doubles on each retry
    max_retry_after_s: float = 60.0  # a longer Retry-After gives up on the URL instead of stalling the run
    max_body_bytes: int = 5_000_000  # news pages are ~0.2 MB; anything bigger is not an article
    host_delay_s: float = 1.0  # between two requests to the same host
    # The run fails (after publishing) when more than this share of attempted article URLs failed.
    max_fetch_failure_share: float = 0.5
    # A shard is the unit of per-document work (one Airflow mapped task, one pool job): big enough
    # that start-up costs vanish, small enough that a day streams through in bounded memory.
    shard_docs: int = 200
    shard_bytes: int = 64_000_000  # of decoded page text
    # Processes for the CLI's per-shard pool; 0 means one per core. A day's last shard is cut so that
    # the shards are a multiple of them (`lake.write_shards`), when there are more shards than workers.
    workers: int = 0

    def __post_init__(self) -> None:
        # a UPath of a local folder is a pathlib.Path, which upath's types do not say
        lake_uri: Path | UPath = UPath(self.data_dir / "lake" if self.lake_uri is None else self.lake_uri)
        if not isinstance(lake_uri, Path) and "/" not in lake_uri.path.strip("/"):
            raise ValueError(
                f"the lake needs a prefix inside its bucket, e.g. {str(lake_uri).rstrip('/')}/lake"
            )
        object.__setattr__(self, "lake_uri", lake_uri)
        for name, default in (("warehouse_path", "warehouse.duckdb"), ("entities_path", "entities.yaml")):
            if getattr(self, name) is None:  # None until set here (the field's default)
                object.__setattr__(self, name, self.data_dir / default)

    @property
    def shared_dir(self) -> UPath:
        """The lake's parent: the data every worker reads and writes."""
        return self.lake_uri.parent

    @property
    def staging_dir(self) -> UPath:
        return self.shared_dir / "staging"

    @property
    def archive_dir(self) -> UPath:
        return self.shared_dir / "raw"

    @property
    def locks_dir(self) -> UPath:
        return self.shared_dir / "locks"

    @property
    def quality_docs_dir(self) -> Path:
        """Where GX Data Docs go: one page per validated day, and an index."""
        return self.data_dir / "reports" / "quality"

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ, **flags: object) -> Settings:
        """Settings from NEWSFLOW_<FIELD> variables (e.g. NEWSFLOW_DATA_DIR=/tmp/nf), then `flags`.

        Flags that are None (a CLI option left unset) do not override anything.
        """
        values: dict[str, object] = {}
        for field in fields(cls):
            variable = f"NEWSFLOW_{field.name.upper()}"
            raw = env.get(variable)
            if raw is not None:
                try:
                    values[field.name] = _parse(field.default, raw)
                except ValueError:  # name the variable: Python's message names only the value
                    raise ValueError(
                        f"{variable}: {raw!r} is not a valid {type(field.default).__name__}"
                    ) from None
        values.update({name: value for name, value in flags.items() if value is not None})
        return cls(**values)  # type: ignore[arg-type]  # each value has its field's type (_parse, or the caller's)


def _parse(default: object, raw: str) -> object:
    """Convert an environment string to the type of the field's default (None defaults are paths)."""
    if default is None and "://" in raw:
        return UPath(raw)
    if default is None or isinstance(default, Path):
        return Path(raw)
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, float):
        return float(raw)
    if isinstance(default, tuple):
        return tuple(part.strip() for part in raw.split(",") if part.strip())
    return raw
