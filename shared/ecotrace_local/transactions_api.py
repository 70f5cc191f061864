"""TablesDB transactions over HTTP (appwrite-rest.md §4); the transactions themselves are
``storage/transactions.py``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from .errors import argument_invalid
from .rest import Ctx, as_bool, check_uid, empty_response, endpoint
from .storage.access import require_scope
from .storage.rowops import READ_SCOPES, WRITE_SCOPES, bad_request
from .storage.transactions import NON_PENDING, normalize_operation

if TYPE_CHECKING:
    from .app import LocalStack


def _create_tx(ctx: Ctx) -> tuple[int, Any]:
    require_scope(ctx.caller, *WRITE_SCOPES)
    ttl = ctx.body.get("ttl", 300)
    if isinstance(ttl, bool) or not isinstance(ttl, int) or not 60 <= ttl <= 3600:
        raise argument_invalid("ttl", "Value must be a valid range between 60 and 3,600")
    return 201, ctx.stack.transactions.create(ctx.caller, ttl)


def _get_tx(ctx: Ctx) -> dict[str, Any]:
    require_scope(ctx.caller, *READ_SCOPES)
    tx_id = check_uid("transactionId", ctx.path["transactionId"])
    return ctx.stack.transactions.get(ctx.caller, tx_id)


def _list_tx(ctx: Ctx) -> dict[str, Any]:
    require_scope(ctx.caller, *READ_SCOPES)
    return ctx.stack.transactions.list_visible(ctx.caller)


def _update_tx(ctx: Ctx) -> dict[str, Any]:
    require_scope(ctx.caller, *WRITE_SCOPES)
    tx_id = check_uid("transactionId", ctx.path["transactionId"])
    commit = as_bool(ctx.body.get("commit"), "commit", False)
    rollback = as_bool(ctx.body.get("rollback"), "rollback", False)
    if commit and rollback:
        raise bad_request("Cannot commit and rollback at the same time")
    if not commit and not rollback:
        raise bad_request("Either commit or rollback must be true")
    if commit:
        return ctx.stack.transactions.commit(ctx.caller, tx_id)
    return ctx.stack.transactions.rollback(ctx.caller, tx_id)


def _delete_tx(ctx: Ctx) -> Response:
    require_scope(ctx.caller, *WRITE_SCOPES)
    tx_id = check_uid("transactionId", ctx.path["transactionId"])
    ctx.stack.transactions.delete(ctx.caller, tx_id)
    return empty_response()


def _create_operations(ctx: Ctx) -> tuple[int, Any]:
    require_scope(ctx.caller, *WRITE_SCOPES)
    tx_id = check_uid("transactionId", ctx.path["transactionId"])
    raw = ctx.body.get("operations")
    if not isinstance(raw, list):
        raise argument_invalid("operations", "Value must be a valid array")
    if not raw:
        raise bad_request("Operations array cannot be empty")
    operations = [normalize_operation(ctx.caller, op) for op in raw]
    return 201, ctx.stack.transactions.stage(ctx.caller, tx_id, operations, not_ready=lambda: bad_request(NON_PENDING))


def routes(stack: LocalStack) -> list[BaseRoute]:
    tx = "/v1/tablesdb/transactions"
    return [
        Route(tx, endpoint(stack, _list_tx), methods=["GET"]),
        Route(tx, endpoint(stack, _create_tx), methods=["POST"]),
        Route(tx + "/{transactionId}", endpoint(stack, _get_tx), methods=["GET"]),
        Route(tx + "/{transactionId}", endpoint(stack, _update_tx), methods=["PATCH"]),
        Route(tx + "/{transactionId}", endpoint(stack, _delete_tx), methods=["DELETE"]),
        Route(tx + "/{transactionId}/operations", endpoint(stack, _create_operations), methods=["POST"]),
    ]
