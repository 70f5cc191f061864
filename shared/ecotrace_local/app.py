"""The local stack's ASGI app: TablesDB, users/JWTs, health, faults, plus the functions and realtime routes."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import AsyncIterator
from typing import Any

import anyio.to_thread
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import accounts, functions_api, realtime_ws, tablesdb
from .auth import resolve_caller
from .errors import AppwriteError, argument_invalid
from .events import EventBus
from .faults import Faults, RequestLog
from .rest import EMPTY_MEDIA, Ctx, empty_response, endpoint, json_response
from .runtime.functions import FunctionsService
from .runtime.realtime import RealtimeHub
from .runtime.specs import load_specs
from .stack import StackConfig
from .storage.credentials import Credentials
from .storage.database import Database
from .storage.rows import Rows
from .storage.schema import Schema
from .storage.transactions import Transactions
from .storage.users import Users

log = logging.getLogger(__name__)

CORS_ALLOW_HEADERS = (
    "Content-Type, Content-Range, Cache-Control, Cookie, Range, Accept, Origin, User-Agent, X-Requested-With, "
    "X-Fallback-Cookies, X-SDK-Version, X-SDK-Name, X-SDK-Language, X-SDK-Platform, X-SDK-GraphQL, X-Appwrite-ID, "
    "X-Appwrite-Timestamp, X-Appwrite-Project, X-Appwrite-Key, X-Appwrite-Locale, X-Appwrite-Mode, "
    "X-Appwrite-JWT, X-Appwrite-Response-Format, X-Appwrite-Timeout, X-Appwrite-Session, X-Appwrite-Dev-Key, "
    "X-Forwarded-For, X-Forwarded-User-Agent"
)
CORS_EXPOSE_HEADERS = "X-Appwrite-Session, X-Fallback-Cookies"
CORS_ALLOW_METHODS = "GET, POST, PUT, PATCH, DELETE"
THREAD_LIMIT = 200


class LocalStack:
    """Everything one running local stack holds; built once and shared by every module's routes."""

    def __init__(self, config: StackConfig, appwrite_json: dict[str, Any] | None = None) -> None:
        self.config = config
        self.appwrite_json: dict[str, Any] = appwrite_json if appwrite_json is not None else config.appwrite_json()
        self.bus = EventBus()
        self.schema = Schema.from_appwrite_json(self.appwrite_json)
        self.db = Database(config.db_path, self.schema, self.bus)
        self.users = Users(self.db)
        self.transactions = Transactions(self.db)
        self.rows = Rows(self.db, self.transactions)
        self.credentials = Credentials(config.project_id, config.api_key, config.jwt_secret)
        self.functions = FunctionsService(
            config.root,
            load_specs(self.appwrite_json),
            credentials=self.credentials,
            bus=self.bus,
            endpoint=config.endpoint,
            variables=config.function_env,
            legacy_databases=self.schema.legacy_databases,
            run_schedules=config.run_schedules,
        )
        self.realtime = RealtimeHub(self.bus, legacy_databases=self.schema.legacy_databases)
        self.functions.add_listener(self.realtime.on_execution)  # finished executions reach realtime
        self.faults = Faults()
        self.request_log = RequestLog()

    def start(self) -> None:
        self.realtime.start()
        self.functions.install()

    def stop(self) -> None:
        self.functions.uninstall()
        self.realtime.close()

    def close(self) -> None:
        self.stop()
        self.functions.close()
        self.db.close()


def _route_not_found() -> AppwriteError:
    return AppwriteError(
        404, "general_route_not_found", "The requested route was not found. Please refer to the API docs and try again."
    )


async def _http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code in (404, 405):
        return _route_not_found().response()
    return AppwriteError(exc.status_code, "general_unknown", str(exc.detail)).response()


async def _appwrite_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, AppwriteError)
    return exc.response()


async def _server_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return AppwriteError(500, "general_unknown", "Server Error").response()


class StackMiddleware:
    """Pure ASGI: CORS, fault injection, the request log, and a non-JSON Content-Type on 204 responses."""

    def __init__(self, app: ASGIApp, stack: LocalStack) -> None:
        self.app = app
        self.stack = stack

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = str(scope["method"]).upper()
        path = str(scope["path"])
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        origin = headers.get("origin")
        status_seen = 500

        def cors_headers() -> list[tuple[bytes, bytes]]:
            if not origin:
                return []
            return [
                (b"access-control-allow-origin", origin.encode("latin-1")),
                (b"access-control-allow-credentials", b"true"),
                (b"access-control-allow-methods", CORS_ALLOW_METHODS.encode()),
                (b"access-control-allow-headers", CORS_ALLOW_HEADERS.encode()),
                (b"access-control-expose-headers", CORS_EXPOSE_HEADERS.encode()),
                (b"vary", b"Origin"),
            ]

        logged = False

        def log_request(status: int) -> None:
            nonlocal logged
            if not logged:
                logged = True
                self.stack.request_log.append(method, path, status)

        async def send_wrapper(message: Message) -> None:
            nonlocal status_seen
            if message["type"] == "http.response.start":
                status_seen = int(message["status"])
                log_request(status_seen)  # before the client can see the response
                raw = [(k, v) for k, v in message.get("headers", []) if k.lower() not in (b"vary",) or not origin]
                if status_seen == 204:
                    raw = [(k, v) for k, v in raw if k.lower() != b"content-type"]
                    raw.append((b"content-type", EMPTY_MEDIA.encode()))
                message = {**message, "headers": raw + cors_headers()}
            await send(message)

        if method == "OPTIONS" and origin:
            await send_wrapper({"type": "http.response.start", "status": 204, "headers": []})
            await send({"type": "http.response.body", "body": b""})
            return

        action = self.stack.faults.match(method, path) if not path.startswith("/v1/_local/") else None
        try:
            if action is not None:
                if action.delay_s > 0:
                    await asyncio.sleep(action.delay_s)
                error = action.error()
                if error is not None:
                    await error.response()(scope, receive, send_wrapper)
                    return
            await self.app(scope, receive, send_wrapper)
        finally:
            log_request(status_seen)  # an unhandled error is answered 500 outside this middleware


def _require_project_key(ctx: Ctx) -> None:
    if not ctx.caller.is_key or ctx.caller.scopes is not None:
        raise AppwriteError(
            401, "user_unauthorized", "The current user is not authorized to perform the requested action."
        )


def _add_fault(ctx: Ctx) -> tuple[int, Any]:
    _require_project_key(ctx)
    body = ctx.body
    status = body.get("status", 503)
    try:
        fault_id = ctx.stack.faults.add(
            method=body.get("method"),
            path_pattern=str(body.get("pathPattern", body.get("path_pattern", ".*"))),
            status=None if status is None else int(status),
            times=int(body.get("times", 1)),
            after=int(body.get("after", 0)),
            delay_s=float(body.get("delayS", body.get("delay_s", 0.0))),
            type_=body.get("type"),
            message=body.get("message"),
        )
    except (ValueError, TypeError, re.error) as exc:
        raise argument_invalid("fault", str(exc)) from exc
    return 201, {"id": fault_id}


def _clear_faults(ctx: Ctx) -> Response:
    _require_project_key(ctx)
    fault_id = ctx.param("id")
    if fault_id is not None:
        ctx.stack.faults.remove(int(fault_id))
    else:
        ctx.stack.faults.clear()
    return empty_response()


def _list_faults(ctx: Ctx) -> dict[str, Any]:
    _require_project_key(ctx)
    return {"faults": ctx.stack.faults.list()}


def _request_log(ctx: Ctx) -> dict[str, Any]:
    _require_project_key(ctx)
    entries = [{"method": e.method, "path": e.path, "status": e.status} for e in ctx.stack.request_log]
    return {"total": len(entries), "requests": entries}


def local_routes(stack: LocalStack) -> list[BaseRoute]:
    return [
        Route("/v1/_local/faults", endpoint(stack, _add_fault), methods=["POST"]),
        Route("/v1/_local/faults", endpoint(stack, _clear_faults), methods=["DELETE"]),
        Route("/v1/_local/faults", endpoint(stack, _list_faults), methods=["GET"]),
        Route("/v1/_local/requests", endpoint(stack, _request_log), methods=["GET"]),
    ]


async def _root(request: Request) -> Response:
    return json_response({"name": "ecotrace-local", "endpoint": "/v1", "version": "1.9.6"})


def create_app(stack: LocalStack) -> Starlette:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # Every REST call runs in the thread pool (SQLite blocks) and functions call back into the stack while
        # other requests wait on them: allow more than anyio's default 40 threads.
        anyio.to_thread.current_default_thread_limiter().total_tokens = THREAD_LIMIT
        await run_in_threadpool(stack.start)
        try:
            yield
        finally:
            await run_in_threadpool(stack.stop)

    routes: list[BaseRoute] = [
        Route("/", _root, methods=["GET"]),
        *tablesdb.routes(stack),
        *accounts.routes(stack),
        *local_routes(stack),
        *functions_api.routes(stack),
        *realtime_ws.routes(stack),
    ]
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={
            AppwriteError: _appwrite_error,
            HTTPException: _http_exception,
            Exception: _server_error,
        },
    )
    app.add_middleware(StackMiddleware, stack=stack)
    app.state.stack = stack
    return app


__all__ = ["LocalStack", "create_app", "resolve_caller"]
