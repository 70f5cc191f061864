"""CPU time of one carbon calculation in-process, with a warm emission factor (no I/O).

Usage:
    .venv/bin/python scripts/bench_carbon.py            # print the table
    .venv/bin/python scripts/bench_carbon.py --write    # also update the "carbon calculation" section of BENCHMARKS.md

Each sample is ``time.process_time_ns`` around ``plan_for`` + ``resolve`` (a warm in-memory factor lookup) +
``calculate`` + both storage shapes (activity columns and the ``calculations`` row), i.e. everything the
service does for one activity except the store's requests. The last case swaps the dict lookup for the product's
``EmissionFactorResolver`` over the shipped dataset (no live source, no store), warmed by the warm-up runs.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from benchmarks_md import write_section

from ecotrace.adapters.shipped_factors import ShippedFactors
from ecotrace.domain.carbon import CalculationConfig, calculate, default_methodology, plan_for
from ecotrace.domain.models import Activity, ActivityType, Confidence, EmissionFactor
from ecotrace.services.carbon import FactorLookup
from ecotrace.services.emission_factors import EmissionFactorResolver
from ecotrace.tables import activities, calculations

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)


class WarmFactors:
    """A factor lookup whose cache is warm: one dict hit per call, like the resolver's memory tier."""

    def __init__(self) -> None:
        self.cache: dict[str | None, EmissionFactor] = {}

    def resolve(self, region: str | None) -> EmissionFactor:
        factor = self.cache.get(region)
        if factor is None:
            factor = EmissionFactor(
                region=region or "WORLD",
                zone=region or "WORLD",
                g_co2e_per_kwh=415.755,
                source="cloud_region",
                fetched_at=NOW,
                confidence=Confidence.MEDIUM,
            )
            self.cache[region] = factor
        return factor


def _activity(kind: ActivityType, **kw: object) -> Activity:
    return Activity(
        id="bench-1",
        user_id="gh_1",
        github_login="bench",
        type=kind,
        repo_id="1",
        repo_full_name="o/r",
        external_id="e",
        source_event="bench",
        timestamp=NOW,
        **kw,
    )


CASES: dict[str, Activity] = {
    "ci_run (ubuntu-latest, 10 min)": _activity(ActivityType.CI_RUN, duration_s=600, runner_labels=["ubuntu-latest"]),
    "ci_run (64-core larger runner)": _activity(
        ActivityType.CI_RUN, duration_s=600, runner_labels=["ubuntu-24.04-64core"]
    ),
    "commit (200 lines)": _activity(ActivityType.COMMIT, lines_added=150, lines_deleted=50, files_changed=4),
    "deployment (unknown duration)": _activity(ActivityType.DEPLOYMENT),
}
RESOLVER_CASE = "ci_run (ubuntu-latest, 10 min), real resolver (shipped data)"


def sample(fn: Callable[[], object], n: int) -> list[int]:
    for _ in range(200):
        fn()  # warm up: methodology parsed, code paths hot
    out: list[int] = []
    gc.disable()
    try:
        for _ in range(n):
            t0 = time.process_time_ns()
            fn()
            out.append(time.process_time_ns() - t0)
    finally:
        gc.enable()
    return out


def run(n: int) -> list[tuple[str, float, float, int]]:
    default_methodology()
    warm: FactorLookup = WarmFactors()
    resolver: FactorLookup = EmissionFactorResolver(ShippedFactors.load())
    config = CalculationConfig()
    rows: list[tuple[str, float, float, int]] = []
    cases = [(name, activity, warm) for name, activity in CASES.items()]
    cases.append((RESOLVER_CASE, CASES["ci_run (ubuntu-latest, 10 min)"], resolver))
    for name, activity, factors in cases:

        def one(activity: Activity = activity, factors: FactorLookup = factors) -> object:
            plan = plan_for(activity, config)
            result = calculate(plan, factors.resolve(plan.region), NOW)
            return activities.carbon_columns(result), calculations.to_row(result)

        times = sorted(sample(one, n))
        p50 = statistics.median(times) / 1000
        p99 = times[min(len(times) - 1, int(len(times) * 0.99))] / 1000
        rows.append((name, p50, p99, n))
    return rows


def table(rows: list[tuple[str, float, float, int]], n: int) -> str:
    lines = [
        "## carbon calculation",
        "",
        f"CPU time (`time.process_time_ns`) of one calculation in-process with a warm emission factor: plan, "
        f"factor lookup, the three bounds, and both storage shapes. The first four cases look the factor up in a "
        f"dict; the last uses the product's `EmissionFactorResolver` over the shipped dataset (warm). "
        f"{n} samples per case after 200 warm-up runs, "
        f"GC off during sampling. Python {platform.python_version()} on {platform.machine()}, "
        f"1-minute load average {os.getloadavg()[0]:.1f} when measured (a shared machine: p99 is noisy).",
        "",
        f"Command: `.venv/bin/python scripts/bench_carbon.py --samples {n} --write`",
        "",
        "| case | p50 (µs) | p99 (µs) | n |",
        "|---|---|---|---|",
    ]
    lines += [f"| {name} | {p50:.1f} | {p99:.1f} | {count} |" for name, p50, p99, count in rows]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--write", action="store_true", help="update BENCHMARKS.md")
    parser.add_argument("--samples", type=int, default=5000)
    args = parser.parse_args(argv)
    text = table(run(args.samples), args.samples)
    sys.stdout.write(text)
    if args.write:
        write_section("carbon-calculation", text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
