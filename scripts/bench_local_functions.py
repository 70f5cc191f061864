"""Benchmark the local stack's function side: execution, function-domain and realtime round trips.

    .venv/bin/python scripts/bench_local_functions.py            # 200 calls each
    .venv/bin/python scripts/bench_local_functions.py -n 1000

Starts the local stack in a temporary root holding one trivial function and one table, then measures, over
loopback with the real clients: a sync ``Functions.create_execution`` (Appwrite SDK, API key), a function-domain
POST (requests), and a row write (TablesDB SDK) until its realtime ``event`` frame arrives (websockets).
Figures are wall-clock milliseconds on this machine; they include the clients' own costs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

import requests
import websockets
from appwrite.services.functions import Functions
from appwrite.services.tables_db import TablesDB

from ecotrace_local.testing import run_stack

APPWRITE_JSON: dict[str, Any] = {
    "projectId": "ecotrace",
    "functions": [
        {
            "$id": "echo",
            "name": "echo",
            "runtime": "python-3.12",
            "execute": ["any"],
            "events": [],
            "schedule": "",
            "timeout": 15,
            "entrypoint": "src/main.py",
            "scopes": [],
            "path": "dist/functions/echo",
        }
    ],
    "tablesDB": [{"$id": "bench", "name": "bench"}],
    "tables": [
        {
            "$id": "notes",
            "$permissions": ['read("any")'],
            "databaseId": "bench",
            "name": "notes",
            "rowSecurity": False,
            "columns": [{"key": "n", "type": "integer", "required": False, "array": False, "default": 0}],
            "indexes": [],
        }
    ],
}

ECHO = """
def main(context):
    return context.res.json({"n": len(context.req.body_binary)})
"""


def _summary(name: str, samples_s: list[float]) -> str:
    ms = sorted(s * 1000 for s in samples_s)
    p95 = ms[min(len(ms) - 1, int(len(ms) * 0.95))]
    return f"{name:<34} n={len(ms):<5} p50={statistics.median(ms):7.2f} ms  p95={p95:7.2f} ms  max={ms[-1]:7.2f} ms"


async def _realtime_round_trips(port: int, tables: TablesDB, count: int) -> list[float]:
    url = f"ws://127.0.0.1:{port}/v1/realtime?project=ecotrace&channels[]=tablesdb.bench.tables.notes.rows"
    samples: list[float] = []
    async with websockets.connect(url) as ws:
        await ws.recv()  # connected
        for i in range(count):
            started = time.perf_counter()
            await asyncio.to_thread(tables.create_row, "bench", "notes", f"r{i}", {"n": i})
            frame = json.loads(await asyncio.wait_for(ws.recv(), timeout=10))
            samples.append(time.perf_counter() - started)
            assert frame["data"]["payload"]["$id"] == f"r{i}"
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=200, help="calls per measurement")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "root"
        (root / "functions" / "echo" / "src").mkdir(parents=True)
        (root / "functions" / "echo" / "src" / "main.py").write_text(textwrap.dedent(ECHO), encoding="utf-8")
        (root / "appwrite.json").write_text(json.dumps(APPWRITE_JSON), encoding="utf-8")
        with run_stack(root, db_path=Path(tmp) / "bench.sqlite3", env={"ECOTRACE_RUN_SCHEDULES": "0"}) as stack:
            functions = Functions(stack.client())
            functions.create_execution("echo", body="warm-up")
            executions = []
            for _ in range(args.n):
                started = time.perf_counter()
                functions.create_execution("echo", body='{"hello":"world"}')
                executions.append(time.perf_counter() - started)
            domain = []
            url = f"{stack.base_url}/functions/echo/"
            for _ in range(args.n):  # a new connection per call, as the SDK (module-level requests) does
                started = time.perf_counter()
                requests.post(url, data=b'{"hello":"world"}', timeout=10).raise_for_status()
                domain.append(time.perf_counter() - started)
            realtime = asyncio.run(_realtime_round_trips(stack.stack.config.port, TablesDB(stack.client()), args.n))
    print(_summary("sync execution (SDK, API key)", executions))
    print(_summary("function domain POST (requests)", domain))
    print(_summary("row write -> realtime event frame", realtime))


if __name__ == "__main__":
    main()
