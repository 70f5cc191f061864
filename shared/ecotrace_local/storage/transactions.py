"""TablesDB transactions: staged operations, an atomic commit (any failure writes nothing and marks the
transaction ``failed``), rollback, and reads of the uncommitted state (appwrite-rest.md §4). The ``_transactions``
system table and the only SQL that touches it."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from ..errors import AppwriteError, argument_invalid, user_unauthorized
from .access import (
    Caller,
    check_grantable,
    default_row_permissions,
    normalize_permissions,
    row_allows,
    table_allows,
)
from .database import Database, Writer
from .ids import is_uid, new_unique_id
from .rowops import (
    bulk_rows,
    op_bulk_create,
    op_bulk_delete,
    op_bulk_update,
    op_bulk_upsert,
    op_create,
    op_delete,
    op_increment,
    op_update,
    op_upsert,
)
from .schema import Schema, TableSchema, roles_for
from .timestamps import format_datetime, now_iso, parse_datetime

MAX_OPERATIONS = 100
ROW_ACTIONS = ("create", "update", "upsert", "delete", "increment", "decrement")
BULK_ACTIONS = ("bulkCreate", "bulkUpdate", "bulkUpsert", "bulkDelete")
NON_PENDING = "Invalid or non\u2011pending transaction"
TRANSACTIONS_DDL = (
    "CREATE TABLE IF NOT EXISTS _transactions (id TEXT PRIMARY KEY, created_at TEXT NOT NULL, "
    "updated_at TEXT NOT NULL, status TEXT NOT NULL, expires_at TEXT NOT NULL, "
    "permissions TEXT NOT NULL, operations TEXT NOT NULL DEFAULT '[]')",
)


def transaction_not_found() -> AppwriteError:
    return AppwriteError(404, "transaction_not_found", "Transaction with the requested ID could not be found.")


def transaction_expired() -> AppwriteError:
    return AppwriteError(410, "transaction_expired", "The transaction has expired.")


def transaction_not_ready() -> AppwriteError:
    return AppwriteError(400, "transaction_not_ready", "The transaction is not ready yet.")


def _tx_json(record: Any) -> dict[str, Any]:
    return {
        "$id": record["id"],
        "$createdAt": record["created_at"],
        "$updatedAt": record["updated_at"],
        "$permissions": json.loads(record["permissions"]),
        "status": record["status"],
        "operations": len(json.loads(record["operations"])),
        "expiresAt": record["expires_at"],
    }


def _load_tx(w: Writer, caller: Caller, tx_id: str) -> Any:
    record = w.conn.execute("SELECT * FROM _transactions WHERE id = ?", (tx_id,)).fetchone()
    if record is None:
        raise transaction_not_found()
    if not caller.bypasses_permissions and not (caller.roles & roles_for(json.loads(record["permissions"]), "read")):
        raise transaction_not_found()
    return record


def _expired(record: Any) -> bool:
    expires = parse_datetime(record["expires_at"])
    return expires is not None and expires < datetime.now(UTC)


def _pending_tx(w: Writer, caller: Caller, tx_id: Any, *, not_ready: Callable[[], AppwriteError]) -> Any:
    record = _load_tx(w, caller, str(tx_id))
    if record["status"] != "pending":
        raise not_ready()
    if _expired(record):
        raise transaction_expired()
    return record


def _mark(w: Writer, tx_id: str, status: str) -> dict[str, Any]:
    w.conn.execute("UPDATE _transactions SET status = ?, updated_at = ? WHERE id = ?", (status, now_iso(), tx_id))
    return _tx_json(w.conn.execute("SELECT * FROM _transactions WHERE id = ?", (tx_id,)).fetchone())


def _note_created(created: set[tuple[Any, Any, Any]], op: dict[str, Any]) -> None:
    """Remember the rows an operation creates, so later operations in the batch may refer to them."""
    if op["action"] in ("create", "upsert"):
        created.add((op["databaseId"], op["tableId"], op.get("rowId")))
    elif op["action"] in ("bulkCreate", "bulkUpsert"):
        for row in op.get("data") or []:
            if isinstance(row, dict) and row.get("$id"):
                created.add((op["databaseId"], op["tableId"], row["$id"]))


def _check_staged(
    w: Writer, table: TableSchema, caller: Caller, op: dict[str, Any], created: set[tuple[Any, Any, Any]]
) -> dict[str, Any]:
    """What Appwrite checks when an operation is staged: the row exists for an update, delete or increment (or an
    earlier operation of the transaction creates it), and the caller holds the permission the operation needs
    (create: the table's create; an upsert: create when the row is absent, else update; update and increment:
    update; delete: delete) and only grants roles it holds. Returns the operation with its permissions
    normalised."""
    action = op["action"]
    if action in BULK_ACTIONS:
        return op  # API keys only (normalize_operation), which bypass permissions
    data = op.get("data")
    if action in ("create", "update", "upsert") and isinstance(data, dict) and data.get("$permissions") is not None:
        permissions = normalize_permissions(data["$permissions"])
        check_grantable(caller, permissions)
        op = {**op, "data": {**data, "$permissions": permissions}}
    if action == "create":
        if not table_allows(caller, table, "create"):
            raise user_unauthorized()
        return op
    existing = w.get(table, str(op.get("rowId")))
    if existing is None:
        if (op["databaseId"], op["tableId"], op.get("rowId")) in created:
            return op  # created earlier in this transaction, by this caller
        if action == "upsert":
            if not table_allows(caller, table, "create"):
                raise user_unauthorized()
            return op
        raise AppwriteError(404, "document_not_found", "Document with the requested ID could not be found.")
    needed = "delete" if action == "delete" else "update"
    if not row_allows(caller, table, existing, needed):
        raise user_unauthorized()
    return op


def normalize_operation(caller: Caller, raw: Any) -> dict[str, Any]:
    """One operation of a request, checked and with ``unique()`` row ids resolved (nothing is read or written)."""
    if not isinstance(raw, dict):
        raise argument_invalid("operations", "Value must be a valid array of operations")
    action = raw.get("action")
    if action not in ROW_ACTIONS + BULK_ACTIONS:
        raise argument_invalid("operations", f"Invalid action: {action}")
    if action in BULK_ACTIONS and not caller.is_key:
        raise user_unauthorized()
    database_id, table_id = raw.get("databaseId"), raw.get("tableId")
    if not is_uid(database_id) or not is_uid(table_id):
        raise argument_invalid("operations", "Each operation needs a valid databaseId and tableId")
    row_id = raw.get("rowId")
    data = raw.get("data")
    if action in ROW_ACTIONS:
        if action in ("create", "upsert") and row_id == "unique()":
            row_id = new_unique_id()
        if not is_uid(row_id):
            raise argument_invalid("operations", f"Operation '{action}' requires a valid rowId")
    if action in ("create", "update", "upsert") and not isinstance(data if data is not None else {}, dict):
        raise argument_invalid("operations", "Operation data must be a JSON object")
    if action in ("increment", "decrement") and not (isinstance(data, dict) and isinstance(data.get("column"), str)):
        raise argument_invalid("operations", "Increment and decrement operations need data.column")
    if action in ("bulkCreate", "bulkUpsert"):
        bulk_rows(data)
    if action in ("bulkUpdate", "bulkDelete") and not isinstance(data if data is not None else {}, dict):
        raise argument_invalid("operations", "Operation data must be a JSON object")
    return {"action": action, "databaseId": database_id, "tableId": table_id, "rowId": row_id, "data": data}


def apply_operation(w: Writer, schema: Schema, caller: Caller, op: dict[str, Any]) -> None:
    """Apply one staged operation inside an open SQLite transaction."""
    table = schema.table(op["databaseId"], op["tableId"])
    action, row_id, data = op["action"], op.get("rowId"), op.get("data")
    staged_at = op.get("stagedAt")
    if action in ("update", "upsert", "delete", "increment", "decrement") and staged_at:
        existing = w.get(table, str(row_id))
        if existing is not None and existing["$updatedAt"] > staged_at and not _touched_in_tx(w, existing):
            raise _conflict()
    if action == "create":
        perms = data.get("$permissions") if isinstance(data, dict) else None
        op_create(w, table, caller, str(row_id), data or {}, perms)
    elif action == "update":
        op_update(w, table, caller, str(row_id), data or {}, None)
    elif action == "upsert":
        op_upsert(w, table, caller, str(row_id), data or {}, None)
    elif action == "delete":
        op_delete(w, table, caller, str(row_id))
    elif action in ("increment", "decrement"):
        sign = 1 if action == "increment" else -1
        spec: dict[str, Any] = data or {}
        limit = spec.get("max") if sign > 0 else spec.get("min")
        op_increment(w, table, caller, str(row_id), str(spec.get("column")), spec.get("value"), limit, sign=sign)
    elif action == "bulkCreate":
        op_bulk_create(w, table, caller, data)
    elif action == "bulkUpsert":
        op_bulk_upsert(w, table, caller, data)
    elif action == "bulkUpdate":
        op_bulk_update(w, table, caller, (data or {}).get("data", {}), (data or {}).get("queries"))
    elif action == "bulkDelete":
        op_bulk_delete(w, table, caller, (data or {}).get("queries"))


def _touched_in_tx(w: Writer, existing: dict[str, Any]) -> bool:
    """A row written earlier in this same commit is newer than its staging time, and that is no conflict."""
    return any(e.row_id == existing["$id"] and e.table_id == existing["$tableId"] for e in w.events)


def _conflict() -> AppwriteError:
    return AppwriteError(
        409, "transaction_conflict", "The transaction has a conflict. Please resolve the conflict and try again."
    )


def _commit_error(exc: AppwriteError) -> AppwriteError:
    if exc.type in (
        "row_already_exists",
        "row_unique_constraint_violation",
        "row_update_conflict",
        "transaction_conflict",
    ):
        return _conflict()
    if exc.type in ("row_not_found", "column_not_found"):
        return AppwriteError(404, "document_not_found", "Document with the requested ID could not be found.")
    if exc.type == "row_invalid_structure":
        return AppwriteError(400, "document_invalid_structure", exc.message)
    if exc.type == "column_limit_exceeded":
        return AppwriteError(400, "attribute_limit_exceeded", exc.message)
    if exc.type in ("general_query_invalid", "user_unauthorized", "general_argument_invalid"):
        return exc
    return AppwriteError(400, "transaction_failed", exc.message)


class _CommitFailed(Exception):
    def __init__(self, error: AppwriteError) -> None:
        super().__init__(error.message)
        self.error = error


class Transactions:
    """The project's transactions, in the ``_transactions`` table of ``db``."""

    def __init__(self, db: Database) -> None:
        self._db = db
        db.ensure(TRANSACTIONS_DDL)

    def create(self, caller: Caller, ttl_s: int) -> dict[str, Any]:
        perms = default_row_permissions(caller)
        now = datetime.now(UTC)

        def write(w: Writer) -> dict[str, Any]:
            tx_id = new_unique_id()
            stamp = format_datetime(now)
            w.conn.execute(
                "INSERT INTO _transactions(id, created_at, updated_at, status, expires_at, permissions, operations) "
                "VALUES (?, ?, ?, 'pending', ?, ?, '[]')",
                (tx_id, stamp, stamp, format_datetime(now + timedelta(seconds=ttl_s)), json.dumps(perms)),
            )
            return _tx_json(w.conn.execute("SELECT * FROM _transactions WHERE id = ?", (tx_id,)).fetchone())

        return self._db.write(write)

    def get(self, caller: Caller, tx_id: str) -> dict[str, Any]:
        return self._db.read(lambda w: _tx_json(_load_tx(w, caller, tx_id)))

    def list_visible(self, caller: Caller) -> dict[str, Any]:
        def read(w: Writer) -> dict[str, Any]:
            records = w.conn.execute("SELECT * FROM _transactions ORDER BY created_at, id").fetchall()
            visible = [
                _tx_json(r)
                for r in records
                if caller.bypasses_permissions or caller.roles & roles_for(json.loads(r["permissions"]), "read")
            ]
            return {"total": len(visible), "transactions": visible}

        return self._db.read(read)

    def stage(
        self,
        caller: Caller,
        tx_id: Any,
        operations: list[dict[str, Any]],
        *,
        not_ready: Callable[[], AppwriteError] = transaction_not_ready,
    ) -> dict[str, Any]:
        """Validate and append operations to a pending transaction (nothing is written to the tables)."""

        def write(w: Writer) -> dict[str, Any]:
            record = _pending_tx(w, caller, tx_id, not_ready=not_ready)
            staged: list[dict[str, Any]] = json.loads(record["operations"])
            if len(staged) + len(operations) > MAX_OPERATIONS:
                raise AppwriteError(
                    400,
                    "transaction_limit_exceeded",
                    f"Transaction already has {len(staged)} operations, adding {len(operations)} would exceed the "
                    f"maximum of {MAX_OPERATIONS}",
                )
            created: set[tuple[Any, Any, Any]] = set()
            for earlier in staged:
                _note_created(created, earlier)
            stamp = now_iso()
            for op in operations:
                table = self._db.schema.tables.get((op["databaseId"], op["tableId"]))
                if op["databaseId"] not in self._db.schema.databases:
                    raise AppwriteError(
                        404,
                        "database_not_found",
                        f"Database with the requested ID '{op['databaseId']}' could not be found.",
                    )
                if table is None:
                    raise AppwriteError(
                        404, "collection_not_found", "Collection with the requested ID could not be found."
                    )
                checked = _check_staged(w, table, caller, op, created)
                _note_created(created, checked)
                staged.append({**checked, "stagedAt": stamp})
            w.conn.execute(
                "UPDATE _transactions SET operations = ?, updated_at = ? WHERE id = ?",
                (json.dumps(staged), stamp, record["id"]),
            )
            updated = w.conn.execute("SELECT * FROM _transactions WHERE id = ?", (record["id"],)).fetchone()
            return _tx_json(updated)

        return self._db.write(write)

    def commit(self, caller: Caller, tx_id: str) -> dict[str, Any]:
        """Apply every staged operation in one SQLite transaction; on any failure nothing is written and the
        transaction is marked ``failed``."""
        schema = self._db.schema

        def write(w: Writer) -> dict[str, Any]:
            record = _load_tx(w, caller, tx_id)
            if record["status"] != "pending":
                raise transaction_not_ready()
            if _expired(record):
                raise transaction_expired()
            for op in json.loads(record["operations"]):
                try:
                    apply_operation(w, schema, caller, op)
                except AppwriteError as exc:
                    raise _CommitFailed(_commit_error(exc)) from exc
            return _mark(w, tx_id, "committed")

        try:
            return self._db.write(write)
        except _CommitFailed as failed:
            self._fail_pending(tx_id)
            raise failed.error from failed.__cause__

    def rollback(self, caller: Caller, tx_id: str) -> dict[str, Any]:
        """Mark a pending transaction ``failed`` (Appwrite's rollback), checked and written in one SQLite
        transaction, so a concurrent commit either happens first (then this is 400 ``transaction_not_ready``) or
        finds it failed."""

        def write(w: Writer) -> dict[str, Any]:
            record = _load_tx(w, caller, tx_id)
            if record["status"] != "pending":
                raise transaction_not_ready()
            return _mark(w, tx_id, "failed")

        return self._db.write(write)

    def delete(self, caller: Caller, tx_id: str) -> None:
        def write(w: Writer) -> None:
            _load_tx(w, caller, tx_id)
            w.conn.execute("DELETE FROM _transactions WHERE id = ?", (tx_id,))

        self._db.write(write)

    def staged_state(self, caller: Caller, tx_id: Any) -> Callable[[Writer], None]:
        """A stage function that replays a transaction's operations (for reads with ``transactionId``) with the
        rights of ``caller``, who reads: an operation it could not apply itself (on a row it may not change, say
        one someone else created since under an id its transaction creates) is skipped, never applied with more
        rights, so a read in a transaction shows no row the caller could not otherwise read."""
        schema = self._db.schema

        def stage(w: Writer) -> None:
            record = _load_tx(w, caller, str(tx_id))
            for op in json.loads(record["operations"]):
                try:
                    apply_operation(w, schema, caller, {**op, "stagedAt": None})
                except AppwriteError:
                    continue

        return stage

    def clear(self) -> None:
        """Delete every transaction (the test harness's reset)."""
        self._db.write(lambda w: w.conn.execute("DELETE FROM _transactions"))

    def _fail_pending(self, tx_id: str) -> None:
        """After a failed commit: ``failed``, unless a concurrent rollback or commit has settled it already."""
        self._db.write(
            lambda w: w.conn.execute(
                "UPDATE _transactions SET status = 'failed', updated_at = ? WHERE id = ? AND status = 'pending'",
                (now_iso(), tx_id),
            )
        )
