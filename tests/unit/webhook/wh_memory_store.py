"""The shared in-memory Store (tests/fakes/memory_store.py) with what the webhook tests add: rows by id, a
transaction counted as the three Appwrite requests it is (create, stage, commit), scripted failures by
position, failure hooks, and snapshots for comparing outcomes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from ecotrace.errors import StorageError
from ecotrace.ports import Row
from tests.fakes.memory_store import MemoryStore as SharedMemoryStore

TX_STEPS = ("tx_create", "tx_stage", "tx_commit")


class MemoryStore(SharedMemoryStore):
    def __init__(self, clock: Callable[[], datetime] | None = None) -> None:
        super().__init__(clock=clock)
        self.faults: list[Callable[[str, str], None]] = []
        self.lock = self._lock

    def _request(self, method: str, table: str) -> None:
        if method == "commit":  # one Store commit is three Appwrite requests
            for step in TX_STEPS:
                self.requests.append((step, "transactions"))
                self._run_faults(step, "transactions")
            return
        super()._request(method, table)
        self._run_faults(method, table)

    def _run_faults(self, method: str, table: str) -> None:
        for fault in list(self.faults):
            fault(method, table)

    def fail(self, method: str, table: str | None = None, times: int = 1, after: int = 0) -> None:
        """Make the next ``times`` matching requests (after skipping ``after``) raise StorageError."""
        state = {"seen": 0, "failed": 0}

        def fault(m: str, t: str) -> None:
            if m != method or (table is not None and t != table):
                return
            state["seen"] += 1
            if state["seen"] > after and state["failed"] < times:
                state["failed"] += 1
                raise StorageError(f"injected failure of {method} {t}")

        self.faults.append(fault)

    def rows(self, table: str) -> dict[str, Row]:  # type: ignore[override]
        return {str(r["$id"]): r for r in super().rows(table)}

    def snapshot(self, *tables: str) -> dict[str, dict[str, Row]]:
        """Rows without the volatile fields (timestamps, sequence, delivery id), for comparing outcomes."""
        volatile = ("$createdAt", "$updatedAt", "$sequence", "delivery_id")
        names = tables or tuple(self.tables)
        return {
            t: {rid: {k: v for k, v in row.items() if k not in volatile} for rid, row in self.rows(t).items()}
            for t in names
        }
