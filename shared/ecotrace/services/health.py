"""What the ``health`` action checks beyond the factor sources: the database, actively, and on the local stack
its realtime subscribers (Appwrite Cloud publishes no subscriber count to functions)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from appwrite.query import Query

from ..adapters.appwrite_store import AppwriteStore
from ..errors import EcoTraceError
from ..ports import Store

PROBE_TABLE = "emission_factors"  # shared, holds no personal data


def database_probe(store: Store, monotonic: Callable[[], float] = time.monotonic) -> dict[str, Any]:
    """One real read (a row id of ``emission_factors``): ``pass`` with its latency, or ``fail`` with the error."""
    started = monotonic()
    try:
        store.find(PROBE_TABLE, [Query.select(["$id"]), Query.limit(1)])
    except EcoTraceError as exc:
        return {"status": "fail", "error": exc.code, "message": exc.message[:300]}
    return {"status": "pass", "latency_ms": round((monotonic() - started) * 1000.0, 1)}


def local_realtime(store: Store) -> dict[str, Any]:
    """The local stack's realtime hub: connections and subscriptions per channel (``GET /v1/_local/realtime``)."""
    if not isinstance(store, AppwriteStore):
        return {"available": False}
    try:
        return {"available": True, **store.local_realtime()}
    except EcoTraceError as exc:
        return {"available": False, "error": exc.code, "message": exc.message[:300]}
