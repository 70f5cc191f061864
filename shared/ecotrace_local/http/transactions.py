"""TablesDB transactions (appwrite-rest.md §4): create, list, get, stage operations, commit or roll back, delete.
The transactions themselves are ``storage/transactions.py``'s."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from ..errors import argument_invalid
from ..storage.access import require_scope
from ..storage.rowops import READ_SCOPES, WRITE_SCOPES, bad_request
from ..storage.transactions import NON_PENDING, Transactions, normalize_operation
from .endpoint import Ctx, as_bool, check_uid, empty_response


def create_transaction(ctx: Ctx, transactions: Transactions) -> tuple[int, Any]:
    require_scope(ctx.caller, *WRITE_SCOPES)
    ttl = ctx.body.get("ttl", 300)
    if isinstance(ttl, bool) or not isinstance(ttl, int) or not 60 <= ttl <= 3600:
        raise argument_invalid("ttl", "Value must be a valid range between 60 and 3,600")
    return 201, transactions.create(ctx.caller, ttl)


def get_transaction(ctx: Ctx, transactions: Transactions) -> dict[str, Any]:
    require_scope(ctx.caller, *READ_SCOPES)
    tx_id = check_uid("transactionId", ctx.path["transactionId"])
    return transactions.get(ctx.caller, tx_id)


def list_transactions(ctx: Ctx, transactions: Transactions) -> dict[str, Any]:
    require_scope(ctx.caller, *READ_SCOPES)
    return transactions.list_visible(ctx.caller)


def update_transaction(ctx: Ctx, transactions: Transactions) -> dict[str, Any]:
    require_scope(ctx.caller, *WRITE_SCOPES)
    tx_id = check_uid("transactionId", ctx.path["transactionId"])
    commit = as_bool(ctx.body.get("commit"), "commit", False)
    rollback = as_bool(ctx.body.get("rollback"), "rollback", False)
    if commit and rollback:
        raise bad_request("Cannot commit and rollback at the same time")
    if not commit and not rollback:
        raise bad_request("Either commit or rollback must be true")
    if commit:
        return transactions.commit(ctx.caller, tx_id)
    return transactions.rollback(ctx.caller, tx_id)


def delete_transaction(ctx: Ctx, transactions: Transactions) -> Response:
    require_scope(ctx.caller, *WRITE_SCOPES)
    tx_id = check_uid("transactionId", ctx.path["transactionId"])
    transactions.delete(ctx.caller, tx_id)
    return empty_response()


def create_operations(ctx: Ctx, transactions: Transactions) -> tuple[int, Any]:
    require_scope(ctx.caller, *WRITE_SCOPES)
    tx_id = check_uid("transactionId", ctx.path["transactionId"])
    raw = ctx.body.get("operations")
    if not isinstance(raw, list):
        raise argument_invalid("operations", "Value must be a valid array")
    if not raw:
        raise bad_request("Operations array cannot be empty")
    operations = [normalize_operation(ctx.caller, op) for op in raw]
    return 201, transactions.stage(ctx.caller, tx_id, operations, not_ready=lambda: bad_request(NON_PENDING))
