"""Run every benchmark (scripts/bench_*.py) in turn, at full size or smoke size, and time them.

    make bench                          # full size: each script that can rewrites its section of BENCHMARKS.md
    python scripts/bench.py --smoke     # smoke size: every script, tiny inputs, nothing written (what CI runs)
    python scripts/bench.py ingest realtime   # only these (names without the bench_ prefix)

At full size the whole run has a budget: 10 minutes on the 2-core machines this project is measured on (issue
9). The run's own section of BENCHMARKS.md ("make bench") records how long each script took and the total, so
the budget is checked by the run itself; the exit status is non-zero when a script failed or the full run of
every script went over the budget. A partial run (names given) prints its timings but writes no timing section.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parent
SECTION = "make-bench"
BUDGET_S = 600.0

# Smoke sizes: enough to run every code path of a script in seconds, figures not meaningful.
SMOKE: dict[str, list[str]] = {
    "carbon": ["--samples", "20"],
    "contention": ["--pushes", "4", "--jobs", "3", "--clients", "7"],
    "executions": ["--commits", "5"],
    "factors": [],
    "ingest": ["--clients", "1,3", "--deliveries", "6"],
    "leaderboard": ["--users", "100", "--sizes", "1000,3000"],
    "local_functions": ["-n", "5"],
    "local_store": ["-n", "5"],
    "realtime": ["--subscribers", "1,3", "--writes", "2", "--no-baseline"],
    "webhook": ["--runs", "2"],
}


def scripts(wanted: set[str]) -> list[Path]:
    found = sorted(SCRIPTS.glob("bench_*.py"))
    unknown = wanted - {p.stem.removeprefix("bench_") for p in found}
    if unknown:
        raise SystemExit(f"no benchmark called {', '.join(sorted(unknown))}")
    return [p for p in found if not wanted or p.stem.removeprefix("bench_") in wanted]


def run(script: Path, smoke: bool) -> tuple[int, float]:
    name = script.stem.removeprefix("bench_")
    writes = "--write" in script.read_text(encoding="utf-8")
    args = SMOKE.get(name, []) if smoke else ["--write"] if writes else []
    print(f"== {script.name} {' '.join(args)}".rstrip(), flush=True)
    started = time.perf_counter()
    result = subprocess.run([sys.executable, str(script), *args], check=False)
    return result.returncode, time.perf_counter() - started


def section(timings: list[tuple[str, int, float]], total: float) -> str:
    verdict = "within" if total <= BUDGET_S else "OVER"
    lines = [
        "## make bench",
        "",
        "How long the full-size run of every benchmark took, one after another (`make bench`, which rewrites the",
        f"sections below). Budget: {BUDGET_S / 60:.0f} minutes on 2 cores; this run took {total / 60:.1f} minutes, "
        f"{verdict} the budget. CI runs every script at smoke size (`python scripts/bench.py --smoke`, in",
        "tests/unit/test_bench_scripts.py).",
        "",
        f"Command: `make bench`. Machine: {platform.machine()}, Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs shared with other work, 1-minute load average {os.getloadavg()[0]:.1f} at the end.",
        "",
        "| script | seconds | exit status |",
        "|---|---|---|",
    ]
    lines += [f"| {name} | {seconds:,.0f} | {status} |" for name, status, seconds in timings]
    lines.append(f"| total | {total:,.0f} | |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run every benchmark, timed.")
    parser.add_argument("names", nargs="*", help="only these benchmarks (without the bench_ prefix)")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, nothing written")
    args = parser.parse_args(argv)
    timings: list[tuple[str, int, float]] = []
    started = time.perf_counter()
    for script in scripts(set(args.names)):
        status, seconds = run(script, args.smoke)
        timings.append((script.name, status, seconds))
    total = time.perf_counter() - started
    for name, status, seconds in timings:
        print(f"{name:28s} {seconds:8.1f} s  exit {status}")
    print(f"{'total':28s} {total:8.1f} s")
    failed = any(status != 0 for _, status, _ in timings)
    if args.smoke or args.names:
        return 1 if failed else 0
    from benchmarks_md import write_section

    write_section(SECTION, section(timings, total))
    return 1 if failed or total > BUDGET_S else 0


if __name__ == "__main__":
    raise SystemExit(main())
