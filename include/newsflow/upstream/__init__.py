"""The fence around upstream internals: every private name newsflow uses from trafilatura, htmldate,
dateparser, Great Expectations and the standard library is imported or touched here, and nowhere
else (`tests/test_layout.py` checks it). Each module checks, when imported, that the library it
reaches into is the version it was written against, and `tests/test_upstream.py` holds the
contract: what newsflow expects of those internals, compared with upstream's own public behaviour.

An upgrade of one of these libraries fails at import with a clear message instead of silently
changing extraction; to upgrade, pin the new version in requirements.txt and pyproject.toml,
update WRITTEN_AGAINST and run the contract tests.

May import: nothing of newsflow.
"""

from __future__ import annotations

from importlib.metadata import version

# The exact versions whose internals this package was read against (also pinned in requirements.txt).
WRITTEN_AGAINST = {
    "trafilatura": "2.3.1",
    "htmldate": "1.11.0",
    "dateparser": "1.5.0",
    "great_expectations": "1.24.1",
}


class UpstreamVersionError(ImportError):
    """An installed library is not the version newsflow's use of its internals was checked against."""


def require(distribution: str) -> None:
    """Fail with a clear message unless `distribution` is installed at the version in WRITTEN_AGAINST."""
    wanted, installed = WRITTEN_AGAINST[distribution], version(distribution)
    if installed != wanted:
        raise UpstreamVersionError(
            f"newsflow uses internals of {distribution} {wanted}, but {installed} is installed: pin "
            f"{distribution}=={wanted} (requirements.txt), or check newsflow.upstream against {installed} "
            "with tests/test_upstream.py and update WRITTEN_AGAINST"
        )
