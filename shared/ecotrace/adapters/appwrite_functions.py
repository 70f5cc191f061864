"""Starting a function's next execution through the Appwrite SDK (``Functions.create_execution``, async).

Appwrite's rules (reference: appwrite-rest.md, function executions): ``async`` executions answer 202 at once and
run in the background; ``scheduledAt`` (ISO 8601) needs ``async`` and must be at least a minute ahead. The key
that starts it is the execution's own (``x-appwrite-key``), so the function needs the ``executions.write``
scope. Header names may not start with ``x-appwrite-``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from appwrite.client import Client
from appwrite.enums.execution_method import ExecutionMethod
from appwrite.exception import AppwriteException
from appwrite.services.functions import Functions

from ..clock import Clock, to_iso, utc_now
from .appwrite_store import translate

MIN_AHEAD = timedelta(seconds=70)  # Appwrite refuses a scheduledAt less than a minute ahead


class AsyncExecutions:
    """Start ``function_id`` with a JSON body, now or at a time (moved to a minute ahead when sooner)."""

    def __init__(
        self, client: Client, function_id: str, *, headers: Mapping[str, str] | None = None, clock: Clock = utc_now
    ) -> None:
        self._functions = Functions(client)
        self.function_id = function_id
        self._headers = dict(headers or {})
        self.clock = clock

    def __repr__(self) -> str:  # headers may hold a service token
        return f"AsyncExecutions(function_id={self.function_id!r})"

    def start(self, body: Mapping[str, Any], at: datetime | None = None) -> str:
        """The new execution's id. StorageError (or another EcoTraceError) when Appwrite refuses."""
        scheduled: str | None = None
        if at is not None and at > self.clock():
            scheduled = to_iso(max(at, self.clock() + MIN_AHEAD))
        try:
            execution = self._functions.create_execution(
                self.function_id,
                body=json.dumps(dict(body), separators=(",", ":")),
                xasync=True,
                path="/",
                method=ExecutionMethod.POST,
                headers={"content-type": "application/json", **self._headers},
                scheduled_at=scheduled,
            )
        except AppwriteException as exc:
            raise translate(exc, f"start {self.function_id}") from exc
        found = getattr(execution, "id", None) or (execution.get("$id") if isinstance(execution, dict) else None)
        return str(found or "")
