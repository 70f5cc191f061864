"""Run every benchmark (scripts/bench_*.py) in turn; those that can (``--write``) rewrite their own section of
BENCHMARKS.md with the new figures, the others print them.

Usage: ``make bench`` or ``python scripts/bench.py [name ...]`` (names without the bench_ prefix).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    wanted = set(argv)
    failures = 0
    for script in sorted(SCRIPTS.glob("bench_*.py")):
        name = script.stem.removeprefix("bench_")
        if wanted and name not in wanted:
            continue
        print(f"== {script.name}", flush=True)
        args = ["--write"] if "--write" in script.read_text(encoding="utf-8") else []
        result = subprocess.run([sys.executable, str(script), *args], check=False)
        failures += result.returncode != 0
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
