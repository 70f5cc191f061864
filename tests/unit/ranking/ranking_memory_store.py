"""The shared in-memory Store (tests/fakes/memory_store.py) plus what the leaderboard tests observe.

``events`` lists every row written or deleted, in order, as ``(action, table, row id)``: on Appwrite each of
these is a realtime event on the table's row channels, so a run that changes nothing must add none.
``list_requests`` keeps the parsed queries of each list request. Bulk writes over 100 rows are refused,
as self-hosted Appwrite refuses them.
"""

from __future__ import annotations

import json
from typing import Any

from ecotrace.errors import ValidationError
from ecotrace.ports import MAX_BATCH, Row
from tests.fakes.memory_store import MemoryStore as SharedMemoryStore


class MemoryStore(SharedMemoryStore):
    def __init__(self) -> None:
        super().__init__()
        self.events: list[tuple[str, str, str]] = []
        self.list_requests: list[tuple[str, list[dict[str, Any]]]] = []

    def _list(self, table: str, queries: list[str]) -> list[Row]:
        self.list_requests.append((table, [json.loads(q) for q in queries]))
        return super()._list(table, queries)

    def _create(self, table: str, row_id: str, data: Row, permissions: list[str] | None) -> Row:
        row = super()._create(table, row_id, data, permissions)
        self.events.append(("create", table, row_id))
        return row

    def _upsert(self, table: str, row_id: str, data: Row, permissions: list[str] | None) -> Row:
        row = super()._upsert(table, row_id, data, permissions)
        self.events.append(("upsert", table, row_id))
        return row

    def _update(self, table: str, row_id: str, data: Row, permissions: list[str] | None) -> Row:
        row = super()._update(table, row_id, data, permissions)
        self.events.append(("update", table, row_id))
        return row

    def _delete(self, table: str, row_id: str) -> None:
        super()._delete(table, row_id)
        self.events.append(("delete", table, row_id))

    def _bulk(self, action: str, table: str, rows: list[Row]) -> list[Row]:
        if len(rows) > MAX_BATCH:
            raise ValidationError(f"at most {MAX_BATCH} rows per bulk request, got {len(rows)}")
        out = super()._bulk(action, table, rows)
        self.events.extend((action, table, str(r["$id"])) for r in rows)
        return out
