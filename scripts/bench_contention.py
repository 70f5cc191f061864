"""Benchmark a burst from one sender: 50 concurrent signed deliveries (30 pushes and a 20-job workflow_job matrix
of one run) to the webhook on the local stack, every one touching the same person's user_stats and rollup rows.

    .venv/bin/python scripts/bench_contention.py [--write]
    .venv/bin/python scripts/bench_contention.py --pushes 6 --jobs 4 --clients 10     # smoke size

Cases, each on an emptied stack: the burst from one sender (the case issue 14 measured: 63 % answered 503);
baseline: the same deliveries spread over as many senders (no shared rows, so no contention); baseline: the
one-sender burst sent one at a time. Reported: HTTP statuses, deliveries per second, latency p50/p99, how many
deliveries had their counting deferred to pending deltas and how many of those were still pending when the
burst ended (folded by the next sweep or leaderboard run), and whether every commit and job was counted
exactly once once those were folded.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from benchmarks_md import write_section
from burst import SENDER, burst, expected_counts, send_all

from ecotrace.adapters.appwrite_store import AppwriteStore
from ecotrace.services.ingest.service import CONTENTION_BUDGET_S
from ecotrace.services.rollups import FOLD_AFTER_S, RollupWriter
from ecotrace_local.testing import StackHandle, run_stack

ROOT = Path(__file__).resolve().parent.parent
SECRET = "bench-secret"  # noqa: S105 - a throwaway secret for the in-process stack


def measure(handle: StackHandle, label: str, *, pushes: int, jobs: int, senders: int, clients: int) -> dict[str, Any]:
    handle.reset()
    store = AppwriteStore(handle.client())
    deliveries = burst(pushes, jobs, tag=f"s{senders}c{clients}", senders=senders)
    result = send_all(f"{handle.base_url}/functions/github-webhook/", SECRET, deliveries, clients=clients)
    deltas = list(store.iterate("pending_deltas"))
    deferred = len({str(r.get("source")) for r in deltas})
    RollupWriter(store).fold_pending(limit=10_000)
    counted = True
    if senders == 1:
        stats = store.get("user_stats", f"gh_{SENDER['id']}") or {}
        want = expected_counts(pushes, jobs, 3)
        counted = {k: stats.get(k) for k in want} == want
    return {
        "case": label,
        "deliveries": len(deliveries),
        "clients": clients,
        "statuses": dict(Counter(result.statuses)),
        "per_s": round(result.per_s, 1),
        "p50_ms": round(result.percentile_s(50) * 1000),
        "p99_ms": round(result.percentile_s(99) * 1000),
        "left_pending": deferred,
        "counted_once": counted,
    }


def render(rows: list[dict[str, Any]], command: str) -> str:
    lines = [
        "## one-sender burst",
        "",
        "50 signed deliveries sent at once to the webhook on the local stack (SQLite, loopback HTTP): 30 pushes of",
        "3 commits and a 20-job `workflow_job` matrix of one run, all from one sender, so every delivery changes the",
        "same `user_stats` row and the same 4 rollup rows. A commit that finds a row changed since it was staged",
        f"is retried with jittered backoff inside a {CONTENTION_BUDGET_S:g} s budget, then committed with its"
        " counting deferred to a",
        f"pending delta that it folds right after ({FOLD_AFTER_S:g} s); *left pending* counts the deliveries"
        " whose fold was still",
        "contended, folded later by the sweep or the leaderboard run. *counted once*: after those folds the sender's",
        "totals hold every commit and job exactly once. Issue 14 measured 63 % of such a burst answered 503 before.",
        "",
        f"Command: `{command}`. Machine: {platform.machine()}, Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, 1-minute load average {os.getloadavg()[0]:.1f} when measured.",
        "",
        "| case | deliveries | clients | HTTP statuses | deliveries/s | p50 | p99 | left pending | counted once |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        statuses = ", ".join(f"{n}x {s}" for s, n in sorted(r["statuses"].items()))
        lines.append(
            f"| {r['case']} | {r['deliveries']} | {r['clients']} | {statuses} | {r['per_s']} | {r['p50_ms']} ms | "
            f"{r['p99_ms']} ms | {r['left_pending']} | {'yes' if r['counted_once'] else 'NO'} |"
        )
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pushes", type=int, default=30)
    parser.add_argument("--jobs", type=int, default=20)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--write", action="store_true", help="rewrite the one-sender burst section of BENCHMARKS.md")
    args = parser.parse_args(argv)
    data = json.loads((ROOT / "appwrite.json").read_text(encoding="utf-8"))
    data["functions"] = [f for f in data["functions"] if f["$id"] == "github-webhook"]
    env = {"ECOTRACE_RUN_SCHEDULES": "0", "GITHUB_WEBHOOK_SECRET": SECRET}
    sizes = {"pushes": args.pushes, "jobs": args.jobs}
    rows = []
    with (
        tempfile.TemporaryDirectory() as tmp,
        run_stack(ROOT, db_path=Path(tmp) / "bench.sqlite3", env=env, appwrite_json=data) as handle,
    ):
        total = args.pushes + args.jobs
        cases = [
            ("one sender, all at once", 1, args.clients),
            ("baseline: one sender per delivery, all at once", total, args.clients),
            ("baseline: one sender, one at a time", 1, 1),
        ]
        for label, senders, clients in cases:
            row = measure(handle, label, senders=senders, clients=clients, **sizes)
            print(json.dumps(row), flush=True)
            rows.append(row)
    table = render(rows, "python scripts/bench_contention.py " + " ".join(argv))
    print(table)
    if args.write:
        write_section("one-sender-burst", table)
    failed = [r for r in rows if set(r["statuses"]) - {200} or not r["counted_once"]]
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
