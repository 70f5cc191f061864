"""Sending signed deliveries to the webhook function's domain, and reading what it wrote."""

from __future__ import annotations

import json
from typing import Any

import httpx

from ecotrace.domain.signature import sign
from ecotrace.ports import Row, Store
from ecotrace_local.testing import StackHandle

SECRET = "It's a Secret to Everybody"  # docs.github.com "Validating webhook deliveries"
TABLES = ("activities", "users", "user_stats", "webhook_deliveries", "calculations")
VOLATILE = (
    "$createdAt",
    "$updatedAt",
    "$sequence",
    "first_seen_at",
    "received_at",
    "processed_at",
    "delivery_id",
    "calculated_at",
)


def url(stack: StackHandle) -> str:
    return stack.base_url + "/functions/github-webhook/"


def signed_headers(
    secret: str | None, event: str, body: bytes, delivery: str = "guid-1", content_type: str = "application/json"
) -> dict[str, str]:
    out = {
        "x-github-event": event,
        "x-github-delivery": delivery,
        "x-github-hook-id": "292430182",
        "content-type": content_type,
        "user-agent": "GitHub-Hookshot/test",
    }
    if secret is not None:
        out["x-hub-signature-256"] = sign(secret, body)
    return out


def post(stack: StackHandle, body: bytes, headers: dict[str, str]) -> httpx.Response:
    return httpx.post(url(stack), content=body, headers=headers, timeout=30)


def rows(store: Store, table: str) -> dict[str, Row]:
    return {str(r["$id"]): r for r in store.iterate(table)}


def _stable(value: Any) -> Any:
    """JSON columns lose their own timestamps (e.g. an emission factor's fetched_at)."""
    if isinstance(value, str) and value.startswith("{"):
        try:
            data = json.loads(value)
        except json.JSONDecodeError:
            return value
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if k not in ("fetched_at", "calculated_at")}
    return value


def snapshot(store: Store, tables: tuple[str, ...] = TABLES) -> dict[str, Any]:
    """Every row of the tables, minus timestamps and per-delivery fields, for comparing outcomes."""
    out: dict[str, Any] = {}
    for table in tables:
        out[table] = {
            rid: {
                k: _stable(v)
                for k, v in row.items()
                if (k not in VOLATILE and not k.startswith("$")) or k == "$permissions"
            }
            for rid, row in rows(store, table).items()
        }
    return out


def counted_rows(store: Store) -> int:
    return sum(len(rows(store, t)) for t in ("activities", "users", "user_stats", "calculations"))
