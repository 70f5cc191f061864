"""Who called a function and how, from the headers Appwrite sets. Pure: no I/O.

It sits in the domain, below the services that decide on it (the carbon calculator's trigger and caller, the
api-integrations caller check) and the entrypoints that read it from the request.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Invocation:
    """Who called and how, from the headers Appwrite sets (they cannot be forged by callers)."""

    trigger: str  # http | schedule | event
    user_id: str | None  # set for executions by a signed-in user
    event: str | None
    key: str | None = field(default=None, repr=False)  # per-execution API key carrying the function's scopes
    client_ip: str | None = None  # x-appwrite-client-ip: the caller's address
    execution_id: str | None = None  # x-appwrite-execution-id

    @classmethod
    def from_headers(cls, headers: Mapping[str, str]) -> Invocation:
        return cls(
            trigger=headers.get("x-appwrite-trigger", "http") or "http",
            user_id=headers.get("x-appwrite-user-id") or None,
            event=headers.get("x-appwrite-event") or None,
            key=headers.get("x-appwrite-key") or None,
            client_ip=headers.get("x-appwrite-client-ip") or None,
            execution_id=headers.get("x-appwrite-execution-id") or None,
        )
