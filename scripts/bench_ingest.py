"""Benchmark ingest throughput: signed webhook deliveries per second on the local stack, 1 to 32 clients at once.

    .venv/bin/python scripts/bench_ingest.py [--clients 1,8,32] [--deliveries 300] [--write]
    .venv/bin/python scripts/bench_ingest.py --clients 1,4 --deliveries 8        # smoke size

The stack runs in this process (temporary SQLite file, only github-webhook deployed, no schedules) exactly as
``make dev`` serves it; the load comes from a child process (asyncio + httpx, keep-alive connections), as GitHub
would be another machine. Each delivery is a signed one-commit push with its own delivery id and commit, from one of
50 senders. For each client count: deliveries/s over the run, latency p50/p99 of the POST, the Appwrite requests the
function made per delivery (the stack's request log) and the stack process's CPU per delivery (steadier than wall
time on a shared machine; the GIL makes one core the ceiling). Baseline in the same run: the in-process floor, HMAC
verify plus JSON parse of the same bodies (``ecotrace.domain.signature.verify``, ``json.loads``) on one core.
``--write`` replaces the "ingest throughput" section of BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import hashlib
import hmac
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "scripts" / "samples" / "push.json"
SECRET = "bench-secret"  # noqa: S105 - a throwaway secret for the in-process stack
SECTION = "ingest-throughput"
SENDERS = 50


def bodies(count: int, tag: str) -> list[bytes]:
    """``count`` one-commit pushes, each with a new commit id, from SENDERS senders in turn."""
    sample: dict[str, Any] = json.loads(SAMPLE.read_text(encoding="utf-8"))
    out = []
    for i in range(count):
        data = copy.deepcopy(sample)
        commit = data["commits"][0]
        commit["id"] = hashlib.sha1(f"{tag}-{i}".encode()).hexdigest()  # noqa: S324 - an id, not security
        data["commits"] = [commit]
        data["head_commit"] = commit
        data["sender"] = {**data["sender"], "id": 10_000 + i % SENDERS, "login": f"dev{i % SENDERS}"}
        out.append(json.dumps(data, separators=(",", ":")).encode())
    return out


def signature(body: bytes) -> str:
    return "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# ---------------------------------------------------------------------------------------------- the load


async def _load(url: str, clients: int, count: int, tag: str) -> dict[str, Any]:
    import httpx

    payloads = bodies(count, tag)
    signed = [(body, signature(body)) for body in payloads]
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    pending = iter(range(count))
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(timeout=120, limits=limits) as client:

        async def worker() -> None:
            for i in pending:
                body, sig = signed[i]
                headers = {
                    "content-type": "application/json",
                    "x-github-event": "push",
                    "x-github-delivery": f"{tag}-{i}",
                    "x-github-hook-id": "1",
                    "x-hub-signature-256": sig,
                }
                started = time.perf_counter()
                response = await client.post(url, content=body, headers=headers)
                latencies.append(time.perf_counter() - started)
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        wall = time.perf_counter() - started
    return {"wall": wall, "latencies": latencies, "statuses": statuses}


def load_main(url: str, clients: int, count: int, tag: str) -> None:
    print(json.dumps(asyncio.run(_load(url, clients, count, tag))), flush=True)


def run_load(url: str, clients: int, count: int, tag: str) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, __file__, "--role", "load", "--url", url, "--clients", str(clients),
         "--deliveries", str(count), "--tag", tag],
        capture_output=True, text=True, check=False, timeout=1800,
    )  # fmt: skip
    if result.returncode != 0:
        raise RuntimeError(f"load with {clients} clients failed: {result.stderr[-3000:]}")
    data: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return data


# ---------------------------------------------------------------------------------------------- measurements


def floor(count: int) -> dict[str, Any]:
    """The in-process floor: HMAC verify + JSON parse of the same bodies, one after another."""
    from ecotrace.domain.signature import verify

    signed = [(body, signature(body)) for body in bodies(count, "floor")]
    samples = []
    started = time.perf_counter()
    for body, sig in signed:
        one = time.perf_counter()
        verify(SECRET, body, sig)
        json.loads(body)
        samples.append(time.perf_counter() - one)
    wall = time.perf_counter() - started
    return _row("floor: HMAC verify + JSON parse, in process", 1, count, wall, samples, wall, None)


def _row(
    case: str, clients: int, count: int, wall: float, latencies: list[float], cpu: float, requests: float | None
) -> dict[str, Any]:
    return {
        "case": case,
        "clients": clients,
        "rate": count / wall,
        "p50": statistics.median(latencies),
        "p99": percentile(latencies, 0.99),
        "requests": "-" if requests is None else f"{requests:.2f}",
        "cpu": cpu / count,
        "n": count,
    }


def stack_runs(client_counts: list[int], count: int) -> list[dict[str, Any]]:
    from ecotrace_local.testing import run_stack

    appwrite = json.loads((ROOT / "appwrite.json").read_text(encoding="utf-8"))
    appwrite["functions"] = [f for f in appwrite["functions"] if f["$id"] == "github-webhook"]
    env = {"GITHUB_WEBHOOK_SECRET": SECRET, "ECOTRACE_RUN_SCHEDULES": "0"}
    rows = []
    with (
        tempfile.TemporaryDirectory() as tmp,
        run_stack(ROOT, db_path=Path(tmp) / "bench.sqlite3", env=env, appwrite_json=appwrite) as stack,
    ):
        url = stack.base_url + "/functions/github-webhook/"
        log = stack.stack.request_log
        run_load(url, max(client_counts), max(client_counts) * 2, "warm-up")  # imports, connections, first rows
        for clients in client_counts:
            before = log.count(path_pattern=r"^/v1/")
            cpu = time.process_time()
            result = run_load(url, clients, count, f"c{clients}")
            cpu = time.process_time() - cpu
            requests = (log.count(path_pattern=r"^/v1/") - before) / count
            if set(result["statuses"]) != {"200"}:
                raise RuntimeError(f"{clients} clients: statuses {result['statuses']}")
            latencies = result["latencies"]
            rows.append(
                _row("signed push, 1 commit, local stack", clients, count, result["wall"], latencies, cpu, requests)
            )
            print(rows[-1], flush=True)
    return rows


def fmt_s(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds >= 0.001 else f"{seconds * 1e6:.0f} µs"


def table(rows: list[dict[str, Any]], command: str) -> str:
    load = os.getloadavg()[0]
    lines = [
        "## ingest throughput",
        "",
        "Signed webhook deliveries (one-commit pushes from 50 senders, each with its own delivery id and commit)",
        "POSTed to the github-webhook function's domain on the local stack, as `make dev` serves it, from a child",
        "process holding 1 to 32 keep-alive connections; every delivery is processed in full (carbon at ingest, one",
        "transaction). *Appwrite requests*: the function's calls to the stack per delivery (request log), the same",
        "for any number of commits (see the webhook ingest section). *CPU*: the stack process's CPU time per",
        "delivery; the stack is one Python process, so one core is its ceiling. Baseline in the same run: HMAC",
        "verify plus JSON parse of the same bodies in process, the floor of any implementation.",
        "",
        "Where a delivery's CPU goes (py-spy sampling of the stack process under this benchmark, 32 clients): about",
        "half in the function's thread, nearly all of it the Appwrite SDK's `requests`/urllib3 stack sending its 9",
        "Appwrite calls and waiting on them; a fifth in the event loop (uvicorn's h11 protocol, Starlette routing and",
        "middleware, the hop to a worker thread) for those calls and the delivery's own POST; an eighth in the worker",
        "threads (SQLite reads and writes, the row codec, JSON). Earlier cuts: requests read the environment",
        "(proxies, CA bundle, .netrc) on every call; the execution key's JWT was verified on every call; the asyncio",
        "loop is uvloop. Cut in this run: requests stat-ed the CA bundle path (os.path.isdir) on every plain-http",
        "call, about 6% of the samples; 150 deliveries each: 1 client 14.8 -> 15.2 deliveries/s and 59.7 ->",
        "54.8 ms CPU per delivery, 32 clients 14.3 -> 14.9/s and 65.0 -> 59.9 ms. Not reached: the issue's 100/s at",
        "32 clients needs under 10 ms of CPU per delivery; what remains is the per-request cost of 9 loopback",
        "requests plus the POST (about 55 ms over 10 loopback requests, ~5 ms each end to end) and the h11 parser",
        "(connections.py's request deadline is built on it). Next steps: fewer requests per delivery (read user,",
        "user_stats and rollups in one list or inside the transaction) and the deadline ported to httptools.",
        "",
        f"Command: `{command}`. Machine: {platform.machine()}, Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs shared with other work, 1-minute load average {load:.1f} when measured.",
        "",
        "| case | clients | deliveries/s | p50 | p99 | Appwrite requests | CPU per delivery | n |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['case']} | {r['clients']} | {r['rate']:,.1f} | {fmt_s(r['p50'])} | {fmt_s(r['p99'])} | "
            f"{r['requests']} | {fmt_s(r['cpu'])} | {r['n']:,} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark ingest throughput on the local stack.")
    parser.add_argument("--clients", default="1,8,32")
    parser.add_argument("--deliveries", type=int, default=300, help="per client count")
    parser.add_argument("--write", action="store_true", help='replace the "ingest throughput" section of BENCHMARKS.md')
    parser.add_argument("--role", choices=["load"], help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--tag", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.role == "load":
        load_main(args.url, int(args.clients), args.deliveries, args.tag)
        return 0
    client_counts = [int(c) for c in args.clients.split(",")]
    rows = [floor(max(args.deliveries, 2000))]
    rows.extend(stack_runs(client_counts, args.deliveries))
    shown = " ".join(a for a in (argv if argv is not None else sys.argv[1:]) if a != "--write")
    section = table(rows, f"python scripts/bench_ingest.py {shown} --write".replace("  ", " "))
    print(section)
    if args.write:
        from benchmarks_md import write_section

        write_section(SECTION, section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
