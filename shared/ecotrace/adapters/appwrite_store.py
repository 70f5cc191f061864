"""The Store adapter over the real Appwrite Python SDK (``TablesDB``).

Every SDK request goes through the bounded, pooled transport of ``sdk_transport`` (installed by the first
:class:`BoundedClient`). Each :class:`BoundedClient` (what :func:`make_client` builds) carries its own timeout for
its own calls, so clients with different bounds can share one process (as the four functions do in the local
stack); any other SDK client in the process gets the process default.
"""

from __future__ import annotations

import contextlib
import contextvars
import threading
from collections.abc import Iterator
from typing import Any

import requests
from appwrite.client import Client
from appwrite.exception import AppwriteException
from appwrite.services.tables_db import TablesDB

from ..errors import ConflictError, EcoTraceError, LimitReachedError, NotFoundError, StorageError, ValidationError
from ..ports import DATABASE_ID, MAX_BATCH, Row, Store
from .sdk_transport import DEFAULT_TIMEOUT_S, call_timeout, ensure_bounded
from .sdk_transport import bound_sdk_requests as bound_sdk_requests  # re-exported: scripts install it


class StoreRejectedError(ValidationError):
    """Appwrite refused the data (structure, size, type): a bug or unvalidated input, not an outage."""


class RequestCount:
    """How many Appwrite requests the SDK sent while it was current (see :func:`counting_requests`)."""

    def __init__(self) -> None:
        self.requests = 0
        self._lock = threading.Lock()

    def add(self) -> None:
        with self._lock:
            self.requests += 1


_request_count: contextvars.ContextVar[RequestCount | None] = contextvars.ContextVar(
    "appwrite_request_count", default=None
)


@contextlib.contextmanager
def counting_requests() -> Iterator[RequestCount]:
    """Count the SDK requests made by clients of this module on this thread (or task) while the block runs: the
    figure an execution's log line reports."""
    count = RequestCount()
    token = _request_count.set(count)
    try:
        yield count
    finally:
        _request_count.reset(token)


class BoundedClient(Client):  # type: ignore[misc]
    """An SDK ``Client`` whose every request is bounded by its own (connect, read) timeout."""

    def __init__(self, timeout: tuple[float, float] = DEFAULT_TIMEOUT_S) -> None:
        super().__init__()
        self.timeout = timeout
        ensure_bounded()

    def call(self, *args: Any, **kwargs: Any) -> Any:
        token = call_timeout.set(self.timeout)
        count = _request_count.get()
        if count is not None:
            count.add()
        try:
            return super().call(*args, **kwargs)
        finally:
            call_timeout.reset(token)


def make_client(endpoint: str, project_id: str, key: str, timeout: tuple[float, float] = DEFAULT_TIMEOUT_S) -> Client:
    client: Client = BoundedClient(timeout).set_endpoint(endpoint).set_project(project_id).set_key(key)
    return client


def translate(exc: AppwriteException, what: str) -> EcoTraceError:
    code = int(exc.code or 0)
    kind = exc.type or ""
    message = f"{what}: {exc.message}"
    if kind == "column_limit_exceeded":
        return LimitReachedError(message, details={"type": kind})
    if code == 409:
        return ConflictError(message, details={"type": kind})
    if code == 404:
        return NotFoundError(message, details={"type": kind})
    if code in (400, 413, 422):
        return StoreRejectedError(message, details={"type": kind})
    return StorageError(message, details={"type": kind, "status": code})


def _row(result: Any) -> Row:
    """SDK results are pydantic models (or dicts); normalise to Appwrite's JSON dict."""
    if isinstance(result, dict):
        return result
    dumped: Row = result.model_dump(by_alias=True)
    data = dumped.pop("data", None)
    if isinstance(data, dict):
        dumped.update(data)
    return dumped


def _rows(result: Any) -> list[Row]:
    rows = result["rows"] if isinstance(result, dict) else result.rows
    return [_row(r) for r in rows]


def _total(result: Any) -> int:
    """How many rows a bulk delete or update touched: Appwrite's ``total`` (the rows echoed are capped at 100)."""
    total = result.get("total") if isinstance(result, dict) else getattr(result, "total", None)
    return int(total) if isinstance(total, int) else len(_rows(result))


class AppwriteStore(Store):
    def __init__(self, client: Client, database_id: str = DATABASE_ID) -> None:
        self.client = client
        self.tables = TablesDB(client)
        self.database_id = database_id

    def _call(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except AppwriteException as exc:
            error = translate(exc, what)
            if what == "commit transaction":  # Appwrite answered the commit itself: it marked the transaction failed
                error.details["step"] = "commit"
            raise error from exc
        except requests.RequestException as exc:  # pragma: no cover - the SDK wraps these itself
            raise StorageError(f"{what}: {exc}") from exc

    def _get(self, table: str, row_id: str) -> Row | None:
        try:
            return _row(self._call(f"get {table}/{row_id}", self.tables.get_row, self.database_id, table, row_id))
        except NotFoundError:
            return None

    def _list(self, table: str, queries: list[str]) -> list[Row]:
        result = self._call(
            f"list {table}", self.tables.list_rows, self.database_id, table, queries=queries, total=False
        )
        return _rows(result)

    def _create(self, table: str, row_id: str, data: Row, permissions: list[str] | None) -> Row:
        return _row(
            self._call(
                f"create {table}/{row_id}",
                self.tables.create_row,
                self.database_id,
                table,
                row_id,
                data,
                permissions=permissions,
            )
        )

    def _upsert(self, table: str, row_id: str, data: Row, permissions: list[str] | None) -> Row:
        return _row(
            self._call(
                f"upsert {table}/{row_id}",
                self.tables.upsert_row,
                self.database_id,
                table,
                row_id,
                data,
                permissions=permissions,
            )
        )

    def _update(self, table: str, row_id: str, data: Row, permissions: list[str] | None) -> Row:
        return _row(
            self._call(
                f"update {table}/{row_id}",
                self.tables.update_row,
                self.database_id,
                table,
                row_id,
                data,
                permissions=permissions,
            )
        )

    def _delete(self, table: str, row_id: str) -> None:
        self._call(f"delete {table}/{row_id}", self.tables.delete_row, self.database_id, table, row_id)

    def _bulk(self, action: str, table: str, rows: list[Row]) -> list[Row]:
        fn = self.tables.create_rows if action == "create" else self.tables.upsert_rows
        return _rows(self._call(f"bulk {action} {table}", fn, self.database_id, table, rows))

    def _increment(self, table: str, row_id: str, column: str, value: float) -> Row:
        fn = self.tables.increment_row_column if value >= 0 else self.tables.decrement_row_column
        return _row(
            self._call(
                f"increment {table}/{row_id}.{column}",
                fn,
                self.database_id,
                table,
                row_id,
                column,
                value=abs(value),
            )
        )

    def _increment_bounded(self, table: str, row_id: str, column: str, value: float, bound: float) -> Row:
        return _row(
            self._call(
                f"increment {table}/{row_id}.{column}",
                self.tables.increment_row_column,
                self.database_id,
                table,
                row_id,
                column,
                value=value,
                max=bound,
            )
        )

    def _delete_where(self, table: str, queries: list[str]) -> int:
        result = self._call(f"bulk delete {table}", self.tables.delete_rows, self.database_id, table, queries=queries)
        return _total(result)

    def _update_where(self, table: str, data: Row, queries: list[str]) -> int:
        result = self._call(
            f"bulk update {table}", self.tables.update_rows, self.database_id, table, data=data, queries=queries
        )
        return _total(result)

    def local_realtime(self) -> Row:
        """The local stack's realtime counts (a local-only route; Appwrite itself has none)."""
        headers = {"X-Appwrite-Project": self.client.get_config("project"), "accept": "application/json"}
        result = self._call("local realtime stats", self.client.call, "get", "/_local/realtime", headers, {})
        return result if isinstance(result, dict) else {}

    def _commit(self, operations: list[dict[str, Any]]) -> None:
        if len(operations) > MAX_BATCH:
            raise ValidationError(f"a transaction holds at most {MAX_BATCH} operations, got {len(operations)}")
        tx = self._call("create transaction", self.tables.create_transaction, ttl=60)
        tx_id = tx["$id"] if isinstance(tx, dict) else tx.id
        try:
            self._call("stage operations", self.tables.create_operations, tx_id, operations=operations)
            self._call("commit transaction", self.tables.update_transaction, tx_id, commit=True)
        except (ConflictError, NotFoundError, StoreRejectedError) as exc:
            if exc.details.get("step") != "commit":
                self._rollback(tx_id)
            raise  # a commit Appwrite refused is already marked failed: nothing to roll back
        except EcoTraceError:
            self._rollback(tx_id)
            raise

    def _rollback(self, tx_id: str) -> None:
        # If the rollback cannot be sent either, the transaction expires by itself (ttl).
        with contextlib.suppress(AppwriteException, requests.RequestException):
            self.tables.update_transaction(tx_id, rollback=True)
