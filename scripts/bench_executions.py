"""Benchmark the executions one 100-commit push costs (each is billed on Appwrite Cloud), on the local stack.

    .venv/bin/python scripts/bench_executions.py [--commits 100] [--write]

The local stack runs github-webhook and carbon-calculator from appwrite.json, schedules off, and one signed push
of ``--commits`` new commits is POSTed to the webhook's domain; then the executions of each function are counted
(``Functions.list_executions``) once no new one has started for 2 s. Baseline, in the same run: the same with
carbon-calculator subscribed to ``databases.ecotrace-main.tables.activities.rows.*.create`` as on main before
this change (one execution per created activity row, each finding the carbon already there).
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from appwrite.services.functions import Functions
from benchmarks_md import write_section
from burst import burst

from ecotrace.domain.signature import sign
from ecotrace_local.testing import run_stack

ROOT = Path(__file__).resolve().parent.parent
SECRET = "bench-secret"  # noqa: S105 - a throwaway secret for the in-process stack
OLD_EVENT = "databases.ecotrace-main.tables.activities.rows.*.create"
FUNCTIONS = ("github-webhook", "carbon-calculator")


def executions_after_push(appwrite_json: dict[str, Any], commits: int) -> dict[str, Any]:
    env = {"ECOTRACE_RUN_SCHEDULES": "0", "GITHUB_WEBHOOK_SECRET": SECRET}
    with (
        tempfile.TemporaryDirectory() as tmp,
        run_stack(ROOT, db_path=Path(tmp) / "bench.sqlite3", env=env, appwrite_json=appwrite_json) as handle,
    ):
        (delivery,) = burst(pushes=1, jobs=0, commits=commits, tag="exec")
        headers = {
            "x-github-event": delivery.event,
            "x-github-delivery": delivery.delivery_id,
            "content-type": "application/json",
            "x-hub-signature-256": sign(SECRET, delivery.body),
        }
        started = time.perf_counter()
        response = httpx.post(f"{handle.base_url}/functions/github-webhook/", content=delivery.body, headers=headers)
        response.raise_for_status()
        functions = Functions(handle.client())

        def counts() -> dict[str, int]:
            return {f: int(functions.list_executions(f).total) for f in FUNCTIONS}

        seen, quiet_since = counts(), time.monotonic()
        while time.monotonic() - quiet_since < 2.0 and time.perf_counter() - started < 120:
            time.sleep(0.2)
            now = counts()
            if now != seen:
                seen, quiet_since = now, time.monotonic()
        return {
            "commits": commits,
            **seen,
            "total": sum(seen.values()),
            "settled_s": round(time.perf_counter() - started, 1),
        }


def render(rows: list[tuple[str, dict[str, Any]]], command: str) -> str:
    lines = [
        "## executions per push",
        "",
        "Function executions started by one signed push of 100 new commits to the webhook on the local stack",
        "(github-webhook and carbon-calculator deployed from appwrite.json, schedules off), counted once none had",
        "started for 2 s. Each execution is billed on Appwrite Cloud. Activities without carbon (a failed carbon",
        "step at ingest) are now completed by carbon-calculator's 10-minute sweep, which costs 144 executions a",
        "day whatever the traffic.",
        "",
        f"Command: `{command}`. Machine: {platform.machine()}, Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, 1-minute load average {os.getloadavg()[0]:.1f} when measured.",
        "",
        "| configuration | commits | github-webhook | carbon-calculator | executions | settled after |",
        "|---|---|---|---|---|---|",
    ]
    for label, r in rows:
        lines.append(
            f"| {label} | {r['commits']} | {r['github-webhook']} | {r['carbon-calculator']} | {r['total']} | "
            f"{r['settled_s']} s |"
        )
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--commits", type=int, default=100)
    parser.add_argument("--write", action="store_true", help="rewrite the executions section of BENCHMARKS.md")
    args = parser.parse_args(argv)
    data = json.loads((ROOT / "appwrite.json").read_text(encoding="utf-8"))
    data["functions"] = [f for f in data["functions"] if f["$id"] in FUNCTIONS]
    before = copy.deepcopy(data)
    for function in before["functions"]:
        if function["$id"] == "carbon-calculator":
            function.update(events=[OLD_EVENT], schedule="")
    rows = [
        ("appwrite.json (no row event; a 10-minute sweep)", executions_after_push(data, args.commits)),
        (f"baseline: carbon-calculator on `{OLD_EVENT}`", executions_after_push(before, args.commits)),
    ]
    for label, row in rows:
        print(json.dumps({"configuration": label, **row}), flush=True)
    table = render(rows, "python scripts/bench_executions.py " + " ".join(argv))
    print(table)
    if args.write:
        write_section("executions", table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
