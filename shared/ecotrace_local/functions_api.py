"""Function executions (``/v1/functions/{id}/executions``) and function domains (``/functions/{id}/...``).

Executions follow Appwrite 1.9.6 (reference: appwrite-rest.md section 5): sync -> 201 Execution JSON with the
function's response, async -> 202 ``waiting`` then run in the background; ``execute`` roles enforced for non-key
callers; logs and errors shown to API-key callers only; the headers the function receives are set by the server
after the caller's, so ``x-appwrite-*`` cannot be forged.

Executions are kept in memory, bounded (``MAX_STORED_EXECUTIONS``, oldest dropped first): they are logs, not
data, and a restart of the local stack forgets them.

A function domain serves the function's raw HTTP response (status, headers, bytes) for any method and path; the
request body is passed through byte for byte (GitHub signs the raw bytes). As on Appwrite, a domain only serves a
function whose ``execute`` roles include ``any`` or ``guests`` (its callers are anonymous).
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from ecotrace_local import auth, realtime
from ecotrace_local.errors import APPWRITE_VERSION, AppwriteError, argument_invalid, user_unauthorized
from ecotrace_local.rest import parse_query_string
from ecotrace_local.runtime import (
    RUNTIME_NAME,
    FunctionRuntime,
    FunctionSpec,
    Invocation,
    Outcome,
    load_specs,
    source_dir,
    split_path,
)
from ecotrace_local.storage.access import Caller, require_scope
from ecotrace_local.storage.queries import check_query_strings, query_invalid
from ecotrace_local.triggers import EventTriggers, Scheduler

logger = logging.getLogger(__name__)

MAX_EXECUTION_BODY_CHARS = 10 * 1024 * 1024  # Appwrite: execution body up to 10 MiB
MAX_EXECUTION_REQUEST_BYTES = 64 * 1024 * 1024  # the JSON wrapping the body (escaping can grow it)
# The Python runtime's HTTP server reads at most 20 MiB (open-runtimes runtimes/python/versions/latest/src/server.py,
# ``web.Application(client_max_size=20 * 1024 * 1024)``): a bigger domain request is a 413 and never reaches main().
MAX_DOMAIN_BODY_BYTES = 20 * 1024 * 1024
MAX_HEADER_KEYS = 100  # Appwrite's `headers` param: at most 100 keys
SYNC_LIMIT_S = 30.0  # Appwrite: synchronous executions wait at most 30 s, then 408
MAX_STORED_EXECUTIONS = 2000
ALLOWED_METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"}
# What a stored execution (GET later) keeps of the request and response headers (Appwrite constants.php).
STORED_REQUEST_HEADERS = {"content-type", "agent", "content-length", "host", "x-appwrite-client-ip"}
STORED_RESPONSE_HEADERS = {"content-type", "content-length"}
EVENT_USER_AGENT = f"Appwrite/{APPWRITE_VERSION}"


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _execution_id() -> str:
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
    created_at: str = field(default_factory=_now_iso)
    updated_at: str = field(default_factory=_now_iso)
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


class ExecutionStore:
    """Bounded in-memory store, thread-safe; the oldest executions are dropped first."""

    def __init__(self, max_items: int = MAX_STORED_EXECUTIONS) -> None:
        self._items: OrderedDict[str, Execution] = OrderedDict()
        self._lock = threading.Lock()
        self._max_items = max_items

    def put(self, execution: Execution) -> None:
        with self._lock:
            self._items[execution.id] = execution
            while len(self._items) > self._max_items:
                self._items.popitem(last=False)

    def get(self, execution_id: str) -> Execution | None:
        with self._lock:
            return self._items.get(execution_id)

    def for_function(self, function_id: str) -> list[Execution]:
        with self._lock:
            return [e for e in self._items.values() if e.function_id == function_id]


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


class FunctionsService:
    """The functions of appwrite.json, their executions, triggers and schedules, for one running stack."""

    def __init__(self, stack: Any) -> None:
        self.stack = stack
        config = stack.config
        appwrite_json = stack_appwrite_json(stack)
        self.specs: dict[str, FunctionSpec] = load_specs(appwrite_json)
        # Databases declared only in the legacy "databases" section get the 42 legacy event names.
        tablesdb_ids = {str(d.get("$id")) for d in appwrite_json.get("tablesDB", [])}
        self.legacy_databases = {str(d.get("$id")) for d in appwrite_json.get("databases", [])} - tablesdb_ids
        self.runtime = FunctionRuntime(config.root, self.specs, env=self.function_env())
        self.store = ExecutionStore()
        self._background = ThreadPoolExecutor(max_workers=8, thread_name_prefix="fn-async")
        self._listeners: list[ExecutionListener] = []
        self._saved_env: dict[str, str | None] = {}
        self.triggers: EventTriggers | None = None
        self.scheduler: Scheduler | None = None

    # ---- lifecycle

    def function_env(self) -> dict[str, str]:
        """What every function finds in its environment: the project's variables plus Appwrite's own."""
        config = self.stack.config
        return {
            **config.function_env,
            "APPWRITE_FUNCTION_API_ENDPOINT": config.endpoint,
            "APPWRITE_FUNCTION_PROJECT_ID": config.project_id,
            "APPWRITE_FUNCTION_RUNTIME_NAME": RUNTIME_NAME,
            "APPWRITE_FUNCTION_RUNTIME_VERSION": "3.12",
            "APPWRITE_FUNCTION_DEPLOYMENT": "local",
            "APPWRITE_REGION": "local",
        }

    def install(self) -> None:
        config = self.stack.config
        env = self.function_env()
        self.runtime.env = env
        for key, value in env.items():
            self._saved_env.setdefault(key, os.environ.get(key))
            os.environ[key] = value
        self.triggers = EventTriggers(self)
        self.triggers.start(self.stack.bus)
        self.scheduler = Scheduler(self, cron=config.run_schedules)
        self.scheduler.start()

    def uninstall(self) -> None:
        if self.scheduler is not None:
            self.scheduler.stop()
        if self.triggers is not None:
            self.triggers.stop()
        self._background.shutdown(wait=False, cancel_futures=True)
        self.runtime.shutdown()
        for key, value in self._saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self._saved_env.clear()

    def add_listener(self, listener: ExecutionListener) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    # ---- executing

    def spec(self, function_id: str) -> FunctionSpec:
        spec = self.specs.get(function_id)
        if spec is None:
            raise AppwriteError(
                404, "function_not_found", f"Function with the requested ID '{function_id}' could not be found."
            )
        return spec

    def runnable(self, function_id: str, *, privileged: bool) -> FunctionSpec:
        """The function, if it can be executed: a disabled one is "not found" except to keys (Appwrite does the
        same); one without source code locally has no deployment (404 ``deployment_not_found``)."""
        spec = self.spec(function_id)
        if not spec.enabled and not privileged:
            raise AppwriteError(
                404, "function_not_found", f"Function with the requested ID '{function_id}' could not be found."
            )
        if not (source_dir(self.stack.config.root, spec) / spec.entrypoint).is_file():
            raise AppwriteError(
                404,
                "deployment_not_found",
                f"Deployment with the requested ID could not be found: no {spec.entrypoint} in functions/{spec.id}.",
            )
        return spec

    def _function_headers(self, spec: FunctionSpec, call: Call, execution_id: str) -> dict[str, str]:
        headers = {k.lower(): str(v) for k, v in call.headers.items() if not k.lower().startswith("x-appwrite-")}
        if call.trigger == "event":
            headers["user-agent"] = EVENT_USER_AGENT
            headers["content-type"] = "application/json"
        server = {
            "x-appwrite-execution-id": execution_id,
            "x-appwrite-key": self.stack.credentials.mint_function_key(list(spec.scopes), spec.timeout_s + 60),
            "x-appwrite-trigger": call.trigger,
            "x-appwrite-user-id": call.user_id,
            "x-appwrite-user-jwt": "",
            "x-appwrite-country-code": "",
            "x-appwrite-continent-code": "",
            "x-appwrite-continent-eu": "false",
            "x-appwrite-client-ip": call.client_ip,
        }
        if call.is_async or call.trigger != "http":
            server["x-appwrite-event"] = call.event
        headers.update(server)
        return headers

    def start(self, spec: FunctionSpec, call: Call) -> Execution:
        """Create the execution; run it now (sync) or in the background (async, event, schedule)."""
        execution_id = _execution_id()
        if call.scheduled_at is not None:
            return self._schedule_once(spec, call, execution_id)
        headers = self._function_headers(spec, call, execution_id)
        # What the execution records of the request: the caller's headers, never the server-set x-appwrite-*
        # (the execution key must not leak to whoever reads the execution).
        caller_headers = {k: v for k, v in headers.items() if not k.startswith("x-appwrite-")}
        permissions = [f'read("user:{call.user_id}")'] if call.user_id else []
        execution = Execution(
            id=execution_id,
            function_id=spec.id,
            trigger=call.trigger,
            status="waiting" if call.is_async else "processing",
            method=call.method,
            path=call.path,
            request_headers=caller_headers,
            permissions=permissions,
        )
        self.store.put(execution)
        if call.is_async:
            try:
                self._background.submit(self._run_logged, spec, call, execution, headers)
            except RuntimeError:  # shut down: record the execution as failed instead of failing the caller
                logger.warning("execution %s of %s not run: the local stack is shutting down", execution_id, spec.id)
                self.store.put(replace(execution, status="failed", errors="The local stack is shutting down."))
            return execution
        return self._run(spec, call, execution, headers, wait_s=SYNC_LIMIT_S if call.trigger == "http" else None)

    def _schedule_once(self, spec: FunctionSpec, call: Call, execution_id: str) -> Execution:
        """A ``scheduledAt`` execution: stored as ``scheduled`` (trigger ``schedule``) and started by the scheduler
        when due, with its headers (and execution key) made then. Pending ones are dropped at shutdown."""
        assert call.scheduled_at is not None
        execution = Execution(
            id=execution_id,
            function_id=spec.id,
            trigger="schedule",
            status="scheduled",
            method=call.method,
            path=call.path,
            request_headers={k.lower(): v for k, v in call.headers.items() if not k.lower().startswith("x-appwrite-")},
            permissions=[f'read("user:{call.user_id}")'] if call.user_id else [],
            scheduled_at=call.scheduled_at.isoformat(timespec="milliseconds"),
        )
        self.store.put(execution)
        due_call = replace(call, scheduled_at=None, is_async=True, trigger="schedule")

        def launch() -> None:
            headers = self._function_headers(spec, due_call, execution_id)
            waiting = replace(execution, status="waiting", updated_at=_now_iso())
            self.store.put(waiting)
            self._background.submit(self._run_logged, spec, due_call, waiting, headers)

        if self.scheduler is None:
            raise AppwriteError(503, "general_service_disabled", "The scheduler is not running.")
        self.scheduler.add_one_off(call.scheduled_at, launch)
        return execution

    def _run_logged(self, spec: FunctionSpec, call: Call, execution: Execution, headers: dict[str, str]) -> None:
        try:
            self._run(spec, call, execution, headers, wait_s=None)
        except Exception:
            logger.exception("async execution %s of %s failed in the runtime", execution.id, spec.id)

    def _run(
        self, spec: FunctionSpec, call: Call, execution: Execution, headers: dict[str, str], *, wait_s: float | None
    ) -> Execution:
        # Stored executions are replaced, never mutated, so readers on other threads see whole states.
        self.store.put(replace(execution, status="processing", updated_at=_now_iso()))
        path, query_string = split_path(call.path)
        outcome: Outcome = self.runtime.run(
            spec,
            Invocation(
                method=call.method,
                path=path,
                query_string=query_string,
                headers=headers,
                body=call.body,
                scheme=call.scheme,
                host=call.host,
                port=call.port,
            ),
            wait_s=wait_s,
        )
        if outcome.timed_out:
            # Past its own timeout Appwrite kills the function; here its thread runs on, so its key stops working
            # then: now, or (the caller stopped waiting first: 408) when the function's own timeout comes.
            key = headers["x-appwrite-key"]
            remaining_s = float(spec.timeout_s) - outcome.duration_s
            if wait_s is None or remaining_s <= 0:
                self.stack.credentials.revoke_function_key(key)
            else:
                timer = threading.Timer(remaining_s, self.stack.credentials.revoke_function_key, (key,))
                timer.daemon = True
                timer.start()
        execution = replace(
            execution,
            status="completed" if outcome.status_code < 500 else "failed",
            status_code=outcome.status_code,
            response_body=outcome.body,
            response_headers=dict(outcome.headers),
            logs=outcome.logs,
            errors=outcome.errors,
            duration_s=outcome.duration_s,
            updated_at=_now_iso(),
        )
        # Stored copies never show the body (Appwrite returns it only to the sync caller): don't keep it in memory.
        self.store.put(replace(execution, response_body=b""))
        # A failed execution is a warning with its errors, so a developer watching the stack's output sees why.
        logger.log(
            logging.WARNING if execution.status == "failed" else logging.INFO,
            "execution %s of %s (%s): %s %d in %.3fs%s",
            execution.id,
            spec.id,
            call.trigger,
            execution.status,
            outcome.status_code,
            outcome.duration_s,
            f"\n{outcome.errors}" if execution.status == "failed" and outcome.errors else "",
        )
        for listener in list(self._listeners):
            try:
                listener(execution)
            except Exception:
                logger.exception("execution listener failed")
        if outcome.timed_out and wait_s is not None and spec.timeout_s > wait_s:
            raise AppwriteError(
                408,
                "function_synchronous_timeout",
                "Synchronous function execution timed out. Use asynchronous "
                "execution instead, or ensure the execution duration doesn't exceed 30 seconds.",
            )
        return execution


def stack_appwrite_json(stack: Any) -> dict[str, Any]:
    """The stack's appwrite.json (``LocalStack.appwrite_json``: the file, or a test's override)."""
    data = getattr(stack, "appwrite_json", None)
    if isinstance(data, dict):
        return data
    loaded: dict[str, Any] = stack.config.appwrite_json()
    return loaded


# ---- the stack's functions service (held on the stack: ``stack.functions``)

_REGISTRY_LOCK = threading.Lock()


def service(stack: Any) -> FunctionsService:
    """The stack's functions service, created on first use."""
    with _REGISTRY_LOCK:
        if stack.functions is None:
            stack.functions = FunctionsService(stack)
        svc: FunctionsService = stack.functions
        return svc


def install(stack: Any) -> None:
    """Called once at start-up: set the functions' environment, subscribe event triggers, start schedules."""
    service(stack).install()


def uninstall(stack: Any) -> None:
    """Called once at shutdown."""
    with _REGISTRY_LOCK:
        svc, stack.functions = stack.functions, None
    if svc is not None:
        svc.uninstall()
    realtime.shutdown(stack)


# ---- HTTP


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else "127.0.0.1"


def _caller(stack: Any, request: Request) -> Caller:
    """The caller; a missing or unknown project is refused here (401 / 404), as Appwrite does."""
    return auth.resolve_caller(stack, request.headers, request.query_params)


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
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise AppwriteError(400, "general_argument_invalid", "Invalid JSON body") from exc
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
    if len(body) > MAX_EXECUTION_BODY_CHARS:
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
    is_async = _is_true(params.get("async", False))
    scheduled_at = _scheduled_at(params.get("scheduledAt"), is_async)
    user_id = caller.user_id if caller.kind == "user" else ""
    return Call(
        trigger="http",
        method=method.upper(),
        path=path if path.startswith("/") else "/" + path,
        headers={str(k): str(v) for k, v in headers.items()},
        body=body.encode("utf-8"),
        user_id=user_id or "",
        is_async=is_async,
        client_ip=_client_ip(request),
        host=request.url.hostname or "localhost",
        port=request.url.port or 80,
        scheduled_at=scheduled_at,
    )


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
    if (moment - datetime.now(UTC)).total_seconds() < MIN_SCHEDULE_AHEAD_S:
        raise AppwriteError(400, "general_bad_request", "Execution schedule must be at least 1 minute from now.")
    return moment.astimezone(UTC)


def routes(stack: Any) -> list[BaseRoute]:
    realtime.hub(stack)  # publish finished executions on the realtime channels
    service(stack).add_listener(realtime.hub(stack).on_execution)

    async def create_execution(request: Request) -> Response:
        try:
            caller = _caller(stack, request)
            require_scope(caller, "executions.write")
            svc = service(stack)
            spec = svc.runnable(request.path_params["function_id"], privileged=caller.kind == "key")
            if not _may_execute(caller, spec):
                raise user_unauthorized()
            raw = await _read_capped(request, MAX_EXECUTION_REQUEST_BYTES)
            if raw is None:
                raise argument_invalid("body", "Value must be no longer than 10485760 chars")
            call = _call_from_params(_parse_execution_request(raw), caller, request)
            execution = await run_in_threadpool(svc.start, spec, call)
        except AppwriteError as exc:
            return exc.response()
        include_logs = caller.kind == "key"
        if call.is_async:
            return JSONResponse(execution.to_json(include_logs=include_logs, full_response=False), status_code=202)
        return JSONResponse(execution.to_json(include_logs=include_logs, full_response=True), status_code=201)

    def _visible(caller: Caller, execution: Execution) -> bool:
        if caller.kind == "key":
            return True
        return bool(execution.read_roles() & (set(caller.roles) | {"any"}))

    def _need_read_scope(caller: Caller) -> None:
        require_scope(caller, "executions.read")

    async def get_execution(request: Request) -> Response:
        try:
            caller = _caller(stack, request)
            _need_read_scope(caller)
            svc = service(stack)
            spec = svc.spec(request.path_params["function_id"])
            execution = svc.store.get(request.path_params["execution_id"])
            if execution is None or execution.function_id != spec.id or not _visible(caller, execution):
                raise AppwriteError(
                    404,
                    "execution_not_found",
                    f"Execution with the requested ID '{request.path_params['execution_id']}' could not be found.",
                )
        except AppwriteError as exc:
            return exc.response()
        return JSONResponse(execution.to_json(include_logs=caller.kind == "key", full_response=False))

    async def list_executions(request: Request) -> Response:
        try:
            caller = _caller(stack, request)
            _need_read_scope(caller)
            svc = service(stack)
            spec = svc.spec(request.path_params["function_id"])
            params = parse_query_string(request.query_params.multi_items())
            include_logs = caller.kind == "key"
            visible = [
                e.to_json(include_logs=include_logs, full_response=False)
                for e in svc.store.for_function(spec.id)
                if _visible(caller, e)
            ]
            page, total = select_executions(visible, check_query_strings(params.get("queries")))
        except AppwriteError as exc:
            return exc.response()
        if params.get("total") == "false":
            total = 0
        return JSONResponse({"total": total, "executions": page})

    async def domain(request: Request) -> Response:
        svc = service(stack)
        try:
            spec = svc.runnable(request.path_params["function_id"], privileged=False)
            if not {"any", "guests"} & set(spec.execute):
                raise AppwriteError(
                    401,
                    "user_unauthorized",
                    'To execute function using domain, execute permissions must include "any" or "guests"',
                )
        except AppwriteError as exc:
            return exc.response()
        raw = await _read_capped(request, MAX_DOMAIN_BODY_BYTES)
        if raw is None:
            return PlainTextResponse(
                f"Maximum request body size {MAX_DOMAIN_BODY_BYTES} exceeded (the Python runtime's limit)",
                status_code=413,
            )
        sub_path = request.path_params.get("path", "")
        path = "/" + sub_path
        if request.url.query:
            path += "?" + request.url.query
        headers = {k.lower(): v for k, v in request.headers.items()}
        call = Call(
            trigger="http",
            method=request.method,
            path=path,
            headers=headers,
            body=raw,
            client_ip=_client_ip(request),
            host=request.url.hostname or "localhost",
            port=request.url.port or 80,
        )
        try:
            execution = await run_in_threadpool(svc.start, spec, call)
        except AppwriteError as exc:
            return exc.response()
        out_headers = {
            k: v
            for k, v in execution.response_headers.items()
            if k not in {"content-length", "transfer-encoding", "connection"}
        }
        return Response(content=execution.response_body, status_code=execution.status_code, headers=out_headers)

    any_method = sorted(ALLOWED_METHODS)
    return [
        Route("/v1/functions/{function_id}/executions", create_execution, methods=["POST"]),
        Route("/v1/functions/{function_id}/executions", list_executions, methods=["GET"]),
        Route("/v1/functions/{function_id}/executions/{execution_id}", get_execution, methods=["GET"]),
        Route("/functions/{function_id}", domain, methods=any_method),
        Route("/functions/{function_id}/{path:path}", domain, methods=any_method),
    ]


# Execution attributes Appwrite lets a list filter or order on, and where each lives in the Execution JSON.
QUERYABLE = {
    "trigger": "trigger",
    "status": "status",
    "responseStatusCode": "responseStatusCode",
    "duration": "duration",
    "requestMethod": "requestMethod",
    "requestPath": "requestPath",
    "deploymentId": "deploymentId",
    "$id": "$id",
    "$createdAt": "$createdAt",
    "$updatedAt": "$updatedAt",
}


def select_executions(items: list[dict[str, Any]], raw_queries: list[str]) -> tuple[list[dict[str, Any]], int]:
    """Apply Appwrite queries to Execution JSON: ``equal``/``notEqual``/``greaterThan``/``lessThan`` filters,
    ``orderAsc``/``orderDesc``, ``limit`` (default 25) and ``offset``. Returns (page, total matched).
    Anything else is refused with 400 ``general_query_invalid`` rather than silently ignored."""
    limit, offset = 25, 0
    orders: list[tuple[str, bool]] = []
    for raw in raw_queries:
        try:
            query = json.loads(raw)
        except json.JSONDecodeError:
            raise query_invalid(f"Invalid query: {raw[:100]}") from None
        if not isinstance(query, dict):
            raise query_invalid(f"Invalid query: {raw[:100]}")
        method = query.get("method")
        attribute = query.get("attribute")
        values = query.get("values") or []
        if method in ("limit", "offset"):
            if not values or not isinstance(values[0], int) or values[0] < 0:
                raise query_invalid(f"Invalid query: {method} must be a non-negative integer")
            if method == "limit":
                limit = min(values[0], 5000)
            else:
                offset = values[0]
            continue
        if attribute not in QUERYABLE:
            raise query_invalid(f"Invalid query: Attribute not found in schema: {attribute}")
        key = QUERYABLE[str(attribute)]
        if method in ("orderAsc", "orderDesc"):
            orders.append((key, method == "orderDesc"))
        elif method == "equal":
            items = [e for e in items if e.get(key) in values]
        elif method == "notEqual":
            items = [e for e in items if e.get(key) not in values]
        elif method in ("greaterThan", "lessThan") and values:
            bound = values[0]
            try:
                items = [e for e in items if (e.get(key) > bound if method == "greaterThan" else e.get(key) < bound)]
            except TypeError:
                raise query_invalid(f"Invalid query: {method} on {attribute} needs a value of its type") from None
        else:
            raise query_invalid(f"Invalid query: {method} is not supported for executions by the local stack")
    for key, descending in reversed(orders):
        items = sorted(items, key=lambda e: (e.get(key) is None, e.get(key)), reverse=descending)
    return items[offset : offset + limit], len(items)
