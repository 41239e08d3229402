"""The package's shape: layers that import only downward, upstream internals behind one fence,
modules and functions short enough to read whole, and a README that lists every module."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from conftest import PROJECT_DIR

PACKAGE_DIR = PROJECT_DIR / "include" / "newsflow"
# Modules at the package's root below every stage, and what each may import.
FOUNDATION = {"settings": set(), "schema": set(), "partition": set(), "upstream": set()}
# Modules that compose the stages: they may import any of them.
COMPOSITION = {"tasks", "extract", "cli", "console", "watchlist_cli", "query_cli", "dag_defaults", "__init__"}
# Private modules of the libraries whose internals only newsflow.upstream may touch.
PRIVATE_UPSTREAM = re.compile(
    r"^\s*(?:from|import)\s+(?:trafilatura|htmldate|dateparser|great_expectations)\.", re.MULTILINE
)
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60


def package_modules() -> list[Path]:
    return sorted(PACKAGE_DIR.rglob("*.py"))


def unit_of(path: Path) -> str:
    """The layer a module belongs to: its subpackage, or its own name at the package's root."""
    parts = path.relative_to(PACKAGE_DIR).with_suffix("").parts
    return parts[0]


def newsflow_imports(path: Path) -> set[str]:
    """The newsflow layers a module imports (at its top or inside functions)."""
    units = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "newsflow":
            parts = node.module.split(".")
            units |= {parts[1]} if len(parts) > 1 else {alias.name for alias in node.names}
        elif isinstance(node, ast.Import):
            units |= {a.name.split(".")[1] for a in node.names if a.name.startswith("newsflow.")}
    return units


def allowed_imports(unit: str) -> set[str] | None:
    """What a layer may import: its `__init__` docstring's "May import:" line (None: anything)."""
    if unit in COMPOSITION:
        return None
    if unit in FOUNDATION and not (PACKAGE_DIR / unit).is_dir():
        return FOUNDATION[unit]
    docstring = ast.get_docstring(ast.parse((PACKAGE_DIR / unit / "__init__.py").read_text(encoding="utf-8")))
    match = re.search(r"^May import: (.+?)\.$", docstring or "", re.MULTILINE)
    assert match, f"newsflow/{unit}/__init__.py must say what the subpackage may import ('May import: …')"
    return (
        set() if match.group(1) == "nothing of newsflow" else {u.strip() for u in match.group(1).split(",")}
    )


@pytest.mark.parametrize("path", package_modules(), ids=lambda p: str(p.relative_to(PACKAGE_DIR)))
def test_a_module_imports_only_the_layers_its_subpackage_allows(path: Path) -> None:
    unit = unit_of(path)
    allowed = allowed_imports(unit)
    if allowed is not None:
        assert newsflow_imports(path) - {unit} <= allowed, f"{unit} may import only {sorted(allowed)}"


def test_the_layers_are_checked_on_a_module_that_breaks_them(tmp_path: Path) -> None:
    module = tmp_path / "module.py"
    module.write_text("from newsflow import tasks\n\ndef f():\n    from newsflow.day.steps import publish\n")
    assert newsflow_imports(module) == {"tasks", "day"}
    assert "day" not in allowed_imports("document")


def test_upstream_internals_are_imported_behind_the_fence_only() -> None:
    fence = PACKAGE_DIR / "upstream"
    contract = PROJECT_DIR / "tests" / "test_upstream.py"
    offenders = [
        str(path.relative_to(PROJECT_DIR))
        for folder in ("include", "dags", "plugins", "bench", "tests")
        for path in (PROJECT_DIR / folder).rglob("*.py")
        if fence not in path.parents
        and path not in (contract, Path(__file__))
        and (PRIVATE_UPSTREAM.search(path.read_text(encoding="utf-8")) or "noqa: SLF001" in path.read_text())
    ]
    assert offenders == []


def test_modules_and_functions_stay_short_enough_to_read_whole() -> None:
    long_modules, long_functions = [], []
    for path in package_modules():
        text = path.read_text(encoding="utf-8")
        name = str(path.relative_to(PACKAGE_DIR))
        if text.count("\n") > MAX_MODULE_LINES:
            long_modules.append(name)
        for node in ast.walk(ast.parse(text)):
            is_function = isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            if is_function and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES:
                long_functions.append(f"{name}:{node.name}")
    assert (long_modules, long_functions) == ([], [])


def test_the_readme_lists_every_module_of_the_package() -> None:
    readme = (PROJECT_DIR / "README.md").read_text(encoding="utf-8")
    tree = readme.split("<!-- package layout -->")[1].split("```")[1]
    listed, subpackage = set(), ""
    for line in tree.splitlines():
        entry = line.strip().split(" ", 1)[0]
        if line.startswith("  ") and not line.startswith("    "):  # the package's own entries
            subpackage = entry if entry.endswith("/") else ""
        if entry.endswith(".py"):
            listed.add((subpackage if line.startswith("    ") else "", entry.removesuffix(".py")))
    modules = {
        (f"{path.parent.name}/" if path.parent != PACKAGE_DIR else "", path.stem)
        for path in package_modules()
        if path.stem != "__init__"
    }
    assert listed == modules
