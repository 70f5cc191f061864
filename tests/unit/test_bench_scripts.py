"""The benchmarks still run against the current code (smoke sizes; the figures are not checked here)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from scripts.bench import SMOKE  # the smoke sizes `python scripts/bench.py --smoke` runs

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"


EVERY_SCRIPT = sorted(p.stem.removeprefix("bench_") for p in SCRIPTS.glob("bench_*.py"))


def test_every_benchmark_has_a_smoke_size() -> None:
    assert sorted(SMOKE) == EVERY_SCRIPT


@pytest.mark.parametrize("name", EVERY_SCRIPT)
def test_benchmark_runs(name: str) -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPTS / f"bench_{name}.py"), *SMOKE[name]],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert any(mark in result.stdout for mark in ("|", "{", " ms")), result.stdout[-500:]  # figures were printed
