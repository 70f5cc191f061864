"""Function executions (``/v1/functions/{id}/executions``) and function domains (``/functions/{id}/...``) over HTTP.

Sync -> 201 Execution JSON with the function's response, async -> 202 ``waiting`` then run in the background;
``execute`` roles enforced for non-key callers; logs and errors shown to API-key callers only.

A function domain serves the function's raw HTTP response (status, headers, bytes) for any method and path; the
request body is passed through byte for byte (GitHub signs the raw bytes). As on Appwrite, a domain only serves a
function whose ``execute`` roles include ``any`` or ``guests`` (its callers are anonymous).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from ..errors import AppwriteError, argument_invalid, user_unauthorized
from ..runtime import quotas
from ..runtime.executions import Call
from ..runtime.functions import FunctionsService
from ..runtime.specs import FunctionSpec
from ..storage import jsontext
from ..storage.access import Caller, require_scope
from .auth import Callers
from .endpoint import parse_query_string

MAX_EXECUTION_BODY_CHARS = 10 * 1024 * 1024  # Appwrite: execution body up to 10 MiB
MAX_EXECUTION_REQUEST_BYTES = 64 * 1024 * 1024  # the JSON wrapping the body (escaping can grow it)
# The Python runtime's HTTP server reads at most 20 MiB (open-runtimes runtimes/python/versions/latest/src/server.py,
# ``web.Application(client_max_size=20 * 1024 * 1024)``): a bigger domain request is a 413 and never reaches main().
MAX_DOMAIN_BODY_BYTES = 20 * 1024 * 1024
MAX_HEADER_KEYS = 100  # Appwrite's `headers` param: at most 100 keys
ALLOWED_METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"}


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else "127.0.0.1"


def _may_execute(caller: Caller, spec: FunctionSpec) -> bool:
    if caller.kind == "key":
        return True
    return bool((set(caller.roles) | {"any"}) & set(spec.execute))


def _is_true(value: Any) -> bool:
    return value is True or value in ("true", "1", 1)


async def _read_capped(request: Request, cap: int) -> bytes | None:
    """The request body, or None when it exceeds ``cap`` bytes (checked on Content-Length, then while reading)."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > cap:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > cap:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _parse_execution_request(raw: bytes) -> dict[str, Any]:
    if not raw.strip():
        return {}
    try:
        data = jsontext.loads(raw)
    except jsontext.JsonTextError as exc:
        raise AppwriteError(400, "general_argument_invalid", f"Invalid JSON body: {exc}") from None
    if not isinstance(data, dict):
        raise AppwriteError(400, "general_argument_invalid", "Request body must be a JSON object")
    return data


def _call_from_params(params: Mapping[str, Any], caller: Caller, request: Request) -> Call:
    body = params.get("body", "")
    if body is None:
        body = ""
    if not isinstance(body, str):
        raise argument_invalid(
            "body", "Value must be a valid string and at least 0 chars and no longer than 10485760 chars"
        )
    encoded = body.encode("utf-8")  # jsontext refused lone surrogates: this cannot fail
    if len(body) > MAX_EXECUTION_BODY_CHARS or len(encoded) > quotas.MAX_BODY_BYTES:
        raise argument_invalid(
            "body", "Value must be a valid string and at least 0 chars and no longer than 10485760 chars"
        )
    path = params.get("path") or "/"
    if not isinstance(path, str) or len(path) > 2048:
        raise argument_invalid(
            "path", "Value must be a valid string and at least 1 chars and no longer than 2048 chars"
        )
    method = params.get("method") or "POST"
    if not isinstance(method, str) or method.upper() not in ALLOWED_METHODS:
        raise argument_invalid("method", "Value must be one of (GET, POST, PUT, PATCH, DELETE, OPTIONS, HEAD)")
    headers = params.get("headers") or {}
    if not isinstance(headers, dict) or len(headers) > MAX_HEADER_KEYS:
        raise argument_invalid("headers", "Value must be a valid object with at most 100 keys")
    headers = {str(k): str(v) for k, v in headers.items()}
    if sum(len(k.encode()) + len(v.encode()) for k, v in headers.items()) > quotas.MAX_HEADER_BYTES:
        raise argument_invalid("headers", f"Value must be a valid object of at most {quotas.MAX_HEADER_BYTES} bytes")
    is_async = _is_true(params.get("async", False))
    scheduled_at = _scheduled_at(params.get("scheduledAt"), is_async)
    user_id = caller.user_id if caller.kind == "user" else ""
    return Call(
        trigger="http",
        method=method.upper(),
        path=path if path.startswith("/") else "/" + path,
        headers=headers,
        body=encoded,
        user_id=user_id or "",
        is_async=is_async,
        client_ip=_client_ip(request),
        host=request.url.hostname or "localhost",
        port=request.url.port or 80,
        scheduled_at=scheduled_at,
        quota_key=_quota_key(caller, request),
    )


def _quota_key(caller: Caller, request: Request) -> str | None:
    """Who the waiting work of this call counts against (``runtime/quotas.py``): keys are not counted."""
    if caller.kind == "key":
        return None
    if caller.kind == "user" and caller.user_id:
        return f"user:{caller.user_id}"
    return f"guest:{_client_ip(request)}"


MIN_SCHEDULE_AHEAD_S = 60  # Appwrite: scheduledAt at least one minute in the future


def _scheduled_at(raw: Any, is_async: bool) -> datetime | None:
    """``scheduledAt``: ISO 8601, async only, at least a minute ahead (else 400 ``general_bad_request``)."""
    if raw in (None, ""):
        return None
    if not is_async:
        raise AppwriteError(
            400, "general_bad_request", "Scheduled executions must run asynchronously. Set async to true."
        )
    try:
        moment = datetime.fromisoformat(str(raw))
    except ValueError:
        raise argument_invalid("scheduledAt", "Value must be valid date in ISO 8601 format.") from None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    ahead = moment - datetime.now(UTC)
    if ahead.total_seconds() < MIN_SCHEDULE_AHEAD_S:
        raise AppwriteError(400, "general_bad_request", "Execution schedule must be at least 1 minute from now.")
    if ahead > timedelta(days=quotas.MAX_SCHEDULE_AHEAD_DAYS):  # the local stack's bound (runtime/quotas.py)
        raise AppwriteError(
            400,
            "general_bad_request",
            f"Execution schedule must be at most {quotas.MAX_SCHEDULE_AHEAD_DAYS} days from now on the local stack, "
            "which keeps scheduled executions in memory.",
        )
    return moment.astimezone(UTC)


# ------------------------------------------------------------------------------------------ handlers


async def create_execution(request: Request, functions: FunctionsService, callers: Callers) -> Response:
    caller = callers.resolve(request.headers, request.query_params)
    require_scope(caller, "executions.write")
    spec = functions.runnable(request.path_params["function_id"], privileged=caller.kind == "key")
    if not _may_execute(caller, spec):
        raise user_unauthorized()
    raw = await _read_capped(request, MAX_EXECUTION_REQUEST_BYTES)
    if raw is None:
        raise argument_invalid("body", "Value must be no longer than 10485760 chars")
    call = _call_from_params(_parse_execution_request(raw), caller, request)
    execution = await run_in_threadpool(functions.start, spec, call)
    include_logs = caller.kind == "key"
    if call.is_async:
        return JSONResponse(execution.to_json(include_logs=include_logs, full_response=False), status_code=202)
    return JSONResponse(execution.to_json(include_logs=include_logs, full_response=True), status_code=201)


async def get_execution(request: Request, functions: FunctionsService, callers: Callers) -> Response:
    caller = callers.resolve(request.headers, request.query_params)
    require_scope(caller, "executions.read")
    spec = functions.spec(request.path_params["function_id"])
    execution_id = request.path_params["execution_id"]
    execution = functions.store.readable(caller, execution_id)
    if execution is None or execution.function_id != spec.id:
        raise AppwriteError(
            404, "execution_not_found", f"Execution with the requested ID '{execution_id}' could not be found."
        )
    return JSONResponse(execution.to_json(include_logs=caller.kind == "key", full_response=False))


async def list_executions(request: Request, functions: FunctionsService, callers: Callers) -> Response:
    caller = callers.resolve(request.headers, request.query_params)
    require_scope(caller, "executions.read")
    spec = functions.spec(request.path_params["function_id"])
    params = parse_query_string(request.query_params.multi_items())
    total, page = functions.store.select(
        caller, spec.id, params.get("queries"), want_total=params.get("total") != "false"
    )
    include_logs = caller.kind == "key"
    executions = [e.to_json(include_logs=include_logs, full_response=False) for e in page]
    return JSONResponse({"total": total, "executions": executions})


async def function_domain(request: Request, functions: FunctionsService) -> Response:
    """``/functions/{id}/{path}``, any method: the function's own HTTP response, for anonymous callers."""
    spec = functions.runnable(request.path_params["function_id"], privileged=False)
    if not {"any", "guests"} & set(spec.execute):
        raise AppwriteError(
            401,
            "user_unauthorized",
            'To execute function using domain, execute permissions must include "any" or "guests"',
        )
    raw = await _read_capped(request, MAX_DOMAIN_BODY_BYTES)
    if raw is None:
        return PlainTextResponse(
            f"Maximum request body size {MAX_DOMAIN_BODY_BYTES} exceeded (the Python runtime's limit)",
            status_code=413,
        )
    path = "/" + request.path_params.get("path", "")
    if request.url.query:
        path += "?" + request.url.query
    call = Call(
        trigger="http",
        method=request.method,
        path=path,
        headers={k.lower(): v for k, v in request.headers.items()},
        body=raw,
        client_ip=_client_ip(request),
        host=request.url.hostname or "localhost",
        port=request.url.port or 80,
    )
    execution = await run_in_threadpool(functions.start, spec, call)
    out_headers = {
        k: v
        for k, v in execution.response_headers.items()
        if k not in {"content-length", "transfer-encoding", "connection"}
    }
    return Response(content=execution.response_body, status_code=execution.status_code, headers=out_headers)
