"""The stack's ASGI middleware, one concern each, outermost first (``app.py`` stacks them in this order):

1. :class:`RequestLogMiddleware`: every HTTP request's ``(method, path, status)`` in the request log, written before
   the client can see the response (an unhandled error is logged as 500);
2. :class:`HostMiddleware`: a request (or websocket) for a ``Host`` that is not one of the stack's names is
   refused, 403 (DNS rebinding; ``platforms.py``);
3. :class:`CorsMiddleware`: Appwrite's CORS headers, ``Access-Control-Allow-Origin`` echoed only for an allowed
   platform; a REST request from any other ``Origin`` without an API key is 403 ``general_unknown_origin``, and so
   is a realtime socket (``error`` 1008, then closed), as on Appwrite;
4. :class:`EmptyResponseMiddleware`: a 204 carries ``text/html; charset=UTF-8``, as Appwrite's do;
5. :class:`FaultMiddleware`: injected faults (``faults.py``) answer or delay matching requests before the app
   sees them; ``/v1/_local/`` is never faulted.

Other websocket and lifespan traffic passes through untouched.
"""

from __future__ import annotations

import asyncio
import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..errors import AppwriteError
from ..runtime.realtime import CLOSE_POLICY_VIOLATION, error_frame
from .endpoint import EMPTY_MEDIA
from .exceptions import error_response
from .faults import Faults, RequestLog
from .platforms import Platforms

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
API_PREFIX = "/v1/"  # Appwrite's "api" routes; function domains are routed before its origin check


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


def _header_values(scope: Scope, name: bytes) -> list[str]:
    return [value.decode("latin-1") for key, value in scope.get("headers", []) if key.lower() == name]


def _origin(scope: Scope) -> str | None:
    values = _header_values(scope, b"origin")
    return values[-1] if values else None  # the last one, as a header dict would keep it


async def _refuse(
    scope: Scope, receive: Receive, send: Send, error: AppwriteError, headers: list[tuple[bytes, bytes]]
) -> None:
    """Answer ``error`` as Appwrite's JSON, with ``headers`` added."""

    async def send_with(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", []), *headers]}
        await send(message)

    await error_response(error)(scope, receive, send_with)


class HostMiddleware:
    def __init__(self, app: ASGIApp, platforms: Platforms) -> None:
        self.app = app
        self.platforms = platforms

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            refused = next((h for h in _header_values(scope, b"host") if not self.platforms.host_allowed(h)), None)
            if refused is not None:
                if scope["type"] == "websocket":
                    await send({"type": "websocket.close", "code": CLOSE_POLICY_VIOLATION})  # before accept: 403
                else:
                    await _refuse(scope, receive, send, self.platforms.host_refusal(refused), [])
                return
        await self.app(scope, receive, send)


class CorsMiddleware:
    def __init__(self, app: ASGIApp, platforms: Platforms) -> None:
        self.app = app
        self.platforms = platforms

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        origin = _origin(scope) if scope["type"] in ("http", "websocket") else None
        if not origin:
            await self.app(scope, receive, send)
            return
        allowed = self.platforms.origin_allowed(origin)
        if scope["type"] == "websocket":
            if allowed or not str(scope["path"]).startswith(API_PREFIX):
                await self.app(scope, receive, send)
            else:
                await _refuse_socket(receive, send, self.platforms.origin_refusal(origin))
            return
        cors = [
            (b"access-control-allow-methods", CORS_ALLOW_METHODS.encode()),
            (b"access-control-allow-headers", CORS_ALLOW_HEADERS.encode()),
            (b"access-control-expose-headers", CORS_EXPOSE_HEADERS.encode()),
            (b"access-control-allow-credentials", b"true"),
            (b"vary", b"Origin"),
        ]
        if allowed:  # echoed exactly (lower-case), never a wildcard; any other origin is not named at all
            cors.insert(0, (b"access-control-allow-origin", origin.strip().lower().encode("latin-1")))
        if str(scope["method"]).upper() == "OPTIONS":  # a preflight: answered here, never faulted
            headers = [(b"content-type", EMPTY_MEDIA.encode()), *cors]
            await send({"type": "http.response.start", "status": 204, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        keyed = bool(_header_values(scope, b"x-appwrite-key"))
        if not allowed and not keyed and str(scope["path"]).startswith(API_PREFIX):  # Appwrite's CSRF check
            await _refuse(scope, receive, send, self.platforms.origin_refusal(origin), cors)
            return

        async def send_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"vary"]
                message = {**message, "headers": kept + cors}
            await send(message)

        await self.app(scope, receive, send_cors)


async def _refuse_socket(receive: Receive, send: Send, error: AppwriteError) -> None:
    """Appwrite's realtime answer to a foreign origin: the socket opens, one ``error`` frame, closed with 1008."""
    if (await receive())["type"] != "websocket.connect":
        return
    await send({"type": "websocket.accept"})
    frame = error_frame(CLOSE_POLICY_VIOLATION, error.message)
    await send({"type": "websocket.send", "text": json.dumps(frame, separators=(",", ":"))})
    await send({"type": "websocket.close", "code": CLOSE_POLICY_VIOLATION})


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
