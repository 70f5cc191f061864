"""Benchmark the local stack's TablesDB side over loopback with the real Appwrite SDK.

    .venv/bin/python scripts/bench_local_store.py          # 200 calls each
    .venv/bin/python scripts/bench_local_store.py -n 1000

Starts the stack on a temporary SQLite file with the checkout's appwrite.json and measures, per call: create_row,
get_row, list_rows (25 rows of a 1,000-row table, equality filter, order, total), a 100-row create_rows, a
10-increment transaction (create, stage, commit), and the same get over a fresh connection per call (the SDK's
default, no keep-alive). The store clients reuse connections as ``ecotrace.adapters.appwrite_store`` does.
Figures are wall-clock milliseconds on this machine and include the SDK's own parsing.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from appwrite.query import Query
from appwrite.services.tables_db import TablesDB

from ecotrace.adapters.appwrite_store import bound_sdk_requests
from ecotrace_local.testing import run_stack

ROOT = Path(__file__).resolve().parents[1]
DB = "ecotrace-main"
TABLE = "user_stats"


def _measure(label: str, calls: int, fn: Callable[[int], Any]) -> None:
    timings = []
    for i in range(calls):
        start = time.perf_counter()
        fn(i)
        timings.append((time.perf_counter() - start) * 1000)
    timings.sort()
    p95 = timings[min(len(timings) - 1, int(len(timings) * 0.95))]
    print(f"{label:<46} median {statistics.median(timings):7.2f} ms   p95 {p95:7.2f} ms   (n={calls})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=200, help="calls per measurement")
    calls = parser.parse_args().n
    with tempfile.TemporaryDirectory() as tmp, run_stack(ROOT, db_path=Path(tmp) / "bench.sqlite3") as stack:
        fresh = TablesDB(stack.client())  # before bound_sdk_requests: plain requests.request, new connection each
        fresh.create_row(DB, TABLE, "seed", {"user_id": "seed", "github_login": "x"})
        _measure("get_row, new connection per call", calls, lambda i: fresh.get_row(DB, TABLE, "seed"))

        bound_sdk_requests()
        tables = TablesDB(stack.client())
        tables.create_rows(DB, TABLE, [{"$id": f"r{i}", "user_id": f"u{i}", "github_login": "x"} for i in range(100)])
        for chunk in range(9):
            rows = [{"$id": f"s{chunk}_{i}", "user_id": f"v{chunk}_{i}", "github_login": "x"} for i in range(100)]
            tables.create_rows(DB, TABLE, rows)
        _measure(
            "create_row",
            calls,
            lambda i: tables.create_row(DB, TABLE, f"c{i}", {"user_id": f"c{i}", "github_login": "x"}),
        )
        _measure("get_row", calls, lambda i: tables.get_row(DB, TABLE, f"c{i}"))
        query = [Query.equal("github_login", "x"), Query.order_desc("user_id"), Query.limit(25)]
        _measure("list_rows (25 of 1,000+, filter, order, total)", calls, lambda i: tables.list_rows(DB, TABLE, query))
        bulk_calls = max(1, calls // 10)
        _measure(
            "create_rows (100 rows)",
            bulk_calls,
            lambda i: tables.create_rows(
                DB, TABLE, [{"$id": f"b{i}_{j}", "user_id": f"b{i}_{j}", "github_login": "x"} for j in range(100)]
            ),
        )

        def transaction(i: int) -> None:
            tx = tables.create_transaction()
            ops = [
                {"action": "increment", "databaseId": DB, "tableId": TABLE, "rowId": f"c{j}",
                 "data": {"column": "commit_count", "value": 1}}
                for j in range(min(10, calls))  # rows c0.. that create_row made
            ]  # fmt: skip
            tables.create_operations(tx.id, ops)
            tables.update_transaction(tx.id, commit=True)

        _measure("transaction of 10 increments (3 requests)", max(1, calls // 4), transaction)


if __name__ == "__main__":
    main()
