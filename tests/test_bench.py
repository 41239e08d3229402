"""Every benchmark script still runs against the package as it is: `--help` imports it whole, so a
renamed or removed name fails here rather than the next time someone measures."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH_DIR = Path(__file__).parent.parent / "bench"
SCRIPTS = sorted(path for path in BENCH_DIR.glob("*.py") if path.name != "common.py")


@pytest.mark.parametrize("script", SCRIPTS, ids=[path.name for path in SCRIPTS])
def test_a_benchmark_script_imports_and_shows_its_help(script: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(script), "--help"], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "usage:" in result.stdout
