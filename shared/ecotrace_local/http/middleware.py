"""The stack's ASGI middleware, one concern each, outermost first (``app.py`` stacks them in this order):

1. :class:`RequestLogMiddleware`: every HTTP request's ``(method, path, status)`` in the request log, written before
   the client can see the response (an unhandled error is logged as 500);
2. :class:`CorsMiddleware`: answers preflight requests and adds Appwrite's CORS headers for any ``Origin``;
3. :class:`EmptyResponseMiddleware`: a 204 carries ``text/html; charset=UTF-8``, as Appwrite's do;
4. :class:`FaultMiddleware`: injected faults (``faults.py``) answer or delay matching requests before the app
   sees them; ``/v1/_local/`` is never faulted.

Websocket and lifespan traffic passes through untouched.
"""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .endpoint import EMPTY_MEDIA
from .exceptions import error_response
from .faults import Faults, RequestLog

CORS_ALLOW_HEADERS = (
    "Content-Type, Content-Range, Cache-Control, Cookie, Range, Accept, Origin, User-Agent, X-Requested-With, "
    "X-Fallback-Cookies, X-SDK-Version, X-SDK-Name, X-SDK-Language, X-SDK-Platform, X-SDK-GraphQL, X-Appwrite-ID, "
    "X-Appwrite-Timestamp, X-Appwrite-Project, X-Appwrite-Key, X-Appwrite-Locale, X-Appwrite-Mode, "
    "X-Appwrite-JWT, X-Appwrite-Response-Format, X-Appwrite-Timeout, X-Appwrite-Session, X-Appwrite-Dev-Key, "
    "X-Forwarded-For, X-Forwarded-User-Agent"
)
CORS_EXPOSE_HEADERS = "X-Appwrite-Session, X-Fallback-Cookies"
CORS_ALLOW_METHODS = "GET, POST, PUT, PATCH, DELETE"
LOCAL_PREFIX = "/v1/_local/"


class RequestLogMiddleware:
    def __init__(self, app: ASGIApp, request_log: RequestLog) -> None:
        self.app = app
        self.request_log = request_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = str(scope["method"]).upper()
        path = str(scope["path"])
        logged = False

        def log_request(status: int) -> None:
            nonlocal logged
            if not logged:
                logged = True
                self.request_log.append(method, path, status)

        async def send_logged(message: Message) -> None:
            if message["type"] == "http.response.start":
                log_request(int(message["status"]))  # before the client can see the response
            await send(message)

        try:
            await self.app(scope, receive, send_logged)
        finally:
            log_request(500)  # an unhandled error is answered 500 outside the middleware


def _origin(scope: Scope) -> str | None:
    origin = None
    for key, value in scope.get("headers", []):
        if key.lower() == b"origin":
            origin = str(value.decode("latin-1"))  # the last one, as a header dict would keep it
    return origin


class CorsMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        origin = _origin(scope) if scope["type"] == "http" else None
        if not origin:
            await self.app(scope, receive, send)
            return
        cors = [
            (b"access-control-allow-origin", origin.encode("latin-1")),
            (b"access-control-allow-credentials", b"true"),
            (b"access-control-allow-methods", CORS_ALLOW_METHODS.encode()),
            (b"access-control-allow-headers", CORS_ALLOW_HEADERS.encode()),
            (b"access-control-expose-headers", CORS_EXPOSE_HEADERS.encode()),
            (b"vary", b"Origin"),
        ]
        if str(scope["method"]).upper() == "OPTIONS":  # a preflight: answered here, never faulted
            headers = [(b"content-type", EMPTY_MEDIA.encode()), *cors]
            await send({"type": "http.response.start", "status": 204, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return

        async def send_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"vary"]
                message = {**message, "headers": kept + cors}
            await send(message)

        await self.app(scope, receive, send_cors)


class EmptyResponseMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_empty(message: Message) -> None:
            if message["type"] == "http.response.start" and int(message["status"]) == 204:
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"content-type"]
                message = {**message, "headers": [*kept, (b"content-type", EMPTY_MEDIA.encode())]}
            await send(message)

        await self.app(scope, receive, send_empty)


class FaultMiddleware:
    def __init__(self, app: ASGIApp, faults: Faults) -> None:
        self.app = app
        self.faults = faults

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path", ""))
        if scope["type"] != "http" or path.startswith(LOCAL_PREFIX):
            await self.app(scope, receive, send)
            return
        action = self.faults.match(str(scope["method"]).upper(), path)
        if action is not None:
            if action.delay_s > 0:
                await asyncio.sleep(action.delay_s)
            error = action.error()
            if error is not None:
                await error_response(error)(scope, receive, send)
                return
        await self.app(scope, receive, send)
