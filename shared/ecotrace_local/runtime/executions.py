"""Function executions: the Execution model (Appwrite 1.9.6, reference appwrite-rest.md section 5), what starts one
(:class:`Call`), and where they are kept.

Executions are kept in memory, bounded (``MAX_STORED_EXECUTIONS``, oldest dropped first): they are logs, not data,
and a restart of the local stack forgets them. They are listed with the same queries as rows
(``storage/queries.py``), on the attributes Appwrite lets an executions list name.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..storage.access import Caller
from ..storage.memory import MemoryTable
from ..storage.schema import Column, TableSchema
from ..storage.timestamps import now_iso

MAX_STORED_EXECUTIONS = 2000
# What a stored execution (GET later) keeps of the request and response headers (Appwrite constants.php).
STORED_REQUEST_HEADERS = {"content-type", "agent", "content-length", "host", "x-appwrite-client-ip"}
STORED_RESPONSE_HEADERS = {"content-type", "content-length"}


def new_execution_id() -> str:
    # Appwrite's ID.unique(): 13 hex of a microsecond timestamp + 7 random hex = 20 lower-case hex characters.
    return f"{time.time_ns() // 1000:013x}"[-13:] + secrets.token_hex(4)[:7]


@dataclass(frozen=True)
class Execution:
    id: str
    function_id: str
    trigger: str
    status: str
    method: str
    path: str
    request_headers: dict[str, str]
    permissions: list[str]
    created_at: str = field(default_factory=now_iso)
    updated_at: str = field(default_factory=now_iso)
    status_code: int = 0
    response_body: bytes = b""
    response_headers: dict[str, str] = field(default_factory=dict)
    logs: str = ""
    errors: str = ""
    duration_s: float = 0.0
    scheduled_at: str | None = None

    def to_json(self, *, include_logs: bool, full_response: bool) -> dict[str, Any]:
        """The Execution model. ``full_response``: the sync create answer (all response headers and the body);
        otherwise the stored copy (filtered headers, empty body)."""
        if full_response:
            response_headers = {**self.response_headers, "x-appwrite-execution-id": self.id}
            response_body = self.response_body.decode("utf-8", errors="replace")
            request_headers = self.request_headers
        else:
            response_headers = {k: v for k, v in self.response_headers.items() if k in STORED_RESPONSE_HEADERS}
            response_body = ""
            request_headers = {k: v for k, v in self.request_headers.items() if k in STORED_REQUEST_HEADERS}
        return {
            "$id": self.id,
            "$createdAt": self.created_at,
            "$updatedAt": self.updated_at,
            "$permissions": list(self.permissions),
            "resourceId": self.function_id,
            "resourceType": "functions",
            "deploymentId": "local",
            "trigger": self.trigger,
            "status": self.status,
            "requestMethod": self.method,
            "requestPath": self.path,
            "requestHeaders": [{"name": k, "value": str(v)} for k, v in request_headers.items()],
            "responseStatusCode": self.status_code,
            "responseBody": response_body,
            "responseHeaders": [{"name": k, "value": str(v)} for k, v in response_headers.items()],
            "logs": self.logs if include_logs else "",
            "errors": self.errors if include_logs else "",
            "duration": round(self.duration_s, 6),
            "scheduledAt": self.scheduled_at,
        }

    def read_roles(self) -> frozenset[str]:
        roles = set()
        for permission in self.permissions:
            if permission.startswith('read("') and permission.endswith('")'):
                roles.add(permission[6:-2])
        return frozenset(roles)


ExecutionListener = Callable[[Execution], None]


@dataclass(frozen=True)
class Call:
    """One execution request, whoever triggered it."""

    trigger: str  # http | event | schedule
    method: str = "POST"
    path: str = "/"  # path and query
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    user_id: str = ""
    is_async: bool = False
    event: str = ""
    client_ip: str = "127.0.0.1"
    host: str = "localhost"
    port: int = 80
    scheme: str = "http"
    scheduled_at: datetime | None = None  # a one-off delayed execution (async only)
    quota_key: str | None = None  # who is counted for waiting work (runtime/quotas.py); None: nobody (keys, triggers)


# The executions table: one column per attribute of the Execution model that the store keeps (headers as JSON).
_COLUMNS = (
    Column("functionId", "string"),
    Column("deploymentId", "string"),
    Column("trigger", "string"),
    Column("status", "string"),
    Column("requestMethod", "string"),
    Column("requestPath", "string"),
    Column("requestHeaders", "string"),
    Column("responseStatusCode", "integer"),
    Column("responseHeaders", "string"),
    Column("logs", "string"),
    Column("errors", "string"),
    Column("duration", "double"),
    Column("scheduledAt", "string"),
)
EXECUTIONS_TABLE = TableSchema(
    database_id="functions",
    table_id="executions",
    name="Executions",
    permissions=(),  # each execution carries its own read("user:<id>") (rowSecurity)
    row_security=True,
    enabled=True,
    columns={c.key: c for c in _COLUMNS},
    indexes=(),
)
# What a list of executions may filter or order on (Appwrite's executions query validator).
QUERYABLE = frozenset(
    {
        "trigger",
        "status",
        "responseStatusCode",
        "duration",
        "requestMethod",
        "requestPath",
        "deploymentId",
        "$id",
        "$createdAt",
        "$updatedAt",
    }
)


def _row_values(execution: Execution) -> dict[str, Any]:
    return {
        "functionId": execution.function_id,
        "deploymentId": "local",
        "trigger": execution.trigger,
        "status": execution.status,
        "requestMethod": execution.method,
        "requestPath": execution.path,
        "requestHeaders": json.dumps(execution.request_headers),
        "responseStatusCode": execution.status_code,
        "responseHeaders": json.dumps(execution.response_headers),
        "logs": execution.logs,
        "errors": execution.errors,
        "duration": execution.duration_s,
        "scheduledAt": execution.scheduled_at,
    }


def _from_row(row: Mapping[str, Any]) -> Execution:
    return Execution(
        id=row["$id"],
        function_id=row["functionId"],
        trigger=row["trigger"],
        status=row["status"],
        method=row["requestMethod"],
        path=row["requestPath"],
        request_headers=json.loads(row["requestHeaders"]),
        permissions=list(row["$permissions"]),
        created_at=row["$createdAt"],
        updated_at=row["$updatedAt"],
        status_code=row["responseStatusCode"],
        response_headers=json.loads(row["responseHeaders"]),
        logs=row["logs"],
        errors=row["errors"],
        duration_s=row["duration"],
        scheduled_at=row["scheduledAt"],
    )


class ExecutionStore:
    """Bounded and thread-safe; the oldest executions are dropped first. Stored copies keep no response body
    (Appwrite returns it only to the synchronous caller)."""

    def __init__(self, max_items: int = MAX_STORED_EXECUTIONS) -> None:
        self._table = MemoryTable(EXECUTIONS_TABLE, max_rows=max_items)

    def put(self, execution: Execution) -> None:
        """Store ``execution``, or its new state (an execution keeps its place in the listing order)."""
        self._table.put(
            execution.id,
            _row_values(execution),
            execution.permissions,
            created_at=execution.created_at,
            updated_at=execution.updated_at,
        )

    def get(self, execution_id: str) -> Execution | None:
        row = self._table.get(execution_id)
        return None if row is None else _from_row(row)

    def readable(self, caller: Caller, execution_id: str) -> Execution | None:
        """The execution, if ``caller`` may read it: keys all, users those they ran."""
        row = self._table.readable(caller, execution_id)
        return None if row is None else _from_row(row)

    def for_function(self, function_id: str) -> list[Execution]:
        """Every stored execution of the function, oldest first."""
        return [_from_row(row) for row in self._table.rows(functionId=function_id)]

    def select(
        self, caller: Caller, function_id: str, queries: Any, *, want_total: bool = True
    ) -> tuple[int, list[Execution]]:
        """(total, page) of the function's executions ``caller`` may read, after Appwrite ``queries``
        (filters and orders on :data:`QUERYABLE`, limit 25 by default, offset, cursors)."""
        total, rows = self._table.select(
            caller, queries, where={"functionId": function_id}, queryable=QUERYABLE, want_total=want_total
        )
        return total, [_from_row(row) for row in rows]

    def close(self) -> None:
        self._table.close()
