"""The benchmarks still run against the current code (tiny sizes; the figures are not checked here)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"


@pytest.mark.parametrize(
    "args",
    [
        ["bench_leaderboard.py", "--users", "100", "--sizes", "1000,3000"],
        ["bench_carbon.py", "--samples", "20"],
        ["bench_contention.py", "--pushes", "4", "--jobs", "3", "--clients", "7"],
        ["bench_executions.py", "--commits", "5"],
        ["bench_ingest.py", "--clients", "1,3", "--deliveries", "6"],
        ["bench_realtime.py", "--subscribers", "1,3", "--writes", "2", "--no-baseline"],
    ],
    ids=lambda a: a[0],
)
def test_benchmark_runs(args: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPTS / args[0]), *args[1:]], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "|" in result.stdout or "{" in result.stdout  # a table or JSON lines of figures
