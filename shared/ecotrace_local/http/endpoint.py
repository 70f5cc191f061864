"""How a route calls its handler: the services it declares, injected by type; the request parsed; the caller
resolved; the result turned into a response. Plus the parameter checks and responses the handlers share.

A handler is a module-level function whose first parameter is the request and whose other parameters are the
services it needs, by type (``def get_user(ctx: Ctx, users: Users)``)::

    Route("/v1/users/{userId}", endpoint(users.get_user), methods=["GET"])

- a plain function gets a :class:`Ctx` (path, query, JSON body, headers and the resolved caller) and runs in the
  thread pool (the SQLite store blocks, and functions call back into the stack while a request waits); it
  returns a ``Response``, a JSON payload, or ``(status, payload)``;
- an ``async`` function gets the Starlette ``Request`` itself (streamed bodies, raw responses);
- :func:`websocket` does the same for a ``WebSocket``.

The services come from the :class:`Services` registry the composition root gives the app; a handler sees only
what it asks for. An ``AppwriteError`` raised anywhere becomes Appwrite's error JSON (``exceptions.py``).
"""

from __future__ import annotations

import inspect
import re
import typing
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection, Request
from starlette.responses import JSONResponse, Response
from starlette.websockets import WebSocket

from ..errors import AppwriteError, argument_invalid
from ..storage import jsontext
from ..storage.access import GUEST, Caller
from ..storage.ids import is_uid
from .auth import Callers

T = TypeVar("T")

JSON_MEDIA = "application/json; charset=UTF-8"
EMPTY_MEDIA = "text/html; charset=UTF-8"  # Appwrite's Content-Type on a 204
UID_DESCRIPTION = (
    "UID must contain at most 36 chars. Valid chars are a-z, A-Z, 0-9, and underscore. "
    "Can't start with a leading underscore"
)
CUSTOM_ID_DESCRIPTION = (
    "Parameter must contain at most 36 chars. Valid chars are a-z, A-Z, 0-9, period, hyphen, and underscore. "
    "Can't start with a special char"
)


# ------------------------------------------------------------------------------------------ services


class Services:
    """The services the HTTP layer serves, looked up by type (one instance per type)."""

    def __init__(self, services: Iterable[object]) -> None:
        self._by_type: dict[type, object] = {}
        for service in services:
            self._by_type[type(service)] = service

    def get(self, kind: type[T]) -> T:
        found = self._by_type.get(kind)
        if found is None:
            found = next((s for s in self._by_type.values() if isinstance(s, kind)), None)
        if not isinstance(found, kind):
            raise LookupError(f"no {kind.__name__} service registered")
        return found

    def __contains__(self, kind: type) -> bool:
        return any(isinstance(s, kind) for s in self._by_type.values())

    @staticmethod
    def of(connection: HTTPConnection) -> Services:
        services: Services = connection.app.state.services
        return services


def dependencies(handler: Callable[..., Any]) -> tuple[type, ...]:
    """The service types ``handler`` declares after its first parameter (from its annotations)."""
    hints = typing.get_type_hints(handler)
    names = list(inspect.signature(handler).parameters)[1:]
    kinds = []
    for name in names:
        kind = hints.get(name)
        if not isinstance(kind, type):
            raise TypeError(f"{handler.__qualname__}: parameter {name!r} needs a service class annotation")
        kinds.append(kind)
    return tuple(kinds)


# ------------------------------------------------------------------------------------------ requests


def json_response(payload: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(payload, status_code=status, media_type=JSON_MEDIA)


def empty_response() -> Response:
    return Response(status_code=204, media_type=EMPTY_MEDIA)


def check_uid(param: str, value: Any) -> str:
    if not is_uid(value):
        raise argument_invalid(param, UID_DESCRIPTION)
    return str(value)


def check_custom_id(param: str, value: Any) -> str:
    if value == "unique()":
        return "unique()"
    if not is_uid(value):
        raise argument_invalid(param, CUSTOM_ID_DESCRIPTION)
    return str(value)


def parse_query_string(items: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """``queries[0]=a&queries[1]=b&total=false`` -> ``{"queries": ["a","b"], "total": "false"}``."""
    out: dict[str, Any] = {}
    indexed: dict[str, list[tuple[int, str]]] = {}
    for key, value in items:
        match = re.match(r"^([^\[\]]+)\[(\d*)\]$", key)
        if match:
            position = int(match.group(2)) if match.group(2) else len(indexed.get(match.group(1), []))
            indexed.setdefault(match.group(1), []).append((position, value))
        else:
            out[key] = value
    for name, pairs in indexed.items():
        out[name] = [v for _, v in sorted(pairs, key=lambda p: p[0])]
    return out


def as_bool(value: Any, param: str, default: bool) -> bool:
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "1"):
        return True
    if isinstance(value, str) and value.lower() in ("false", "0"):
        return False
    raise argument_invalid(param, "Value must be a valid boolean")


@dataclass
class Ctx:
    """One REST request as a synchronous handler sees it."""

    caller: Caller
    path: dict[str, str]
    query: dict[str, Any]
    body: dict[str, Any]
    headers: Mapping[str, str] = field(default_factory=dict)

    def param(self, name: str, default: Any = None) -> Any:
        if name in self.body:
            return self.body[name]
        return self.query.get(name, default)


async def read_body(request: Request) -> dict[str, Any]:
    if request.method in ("GET", "HEAD"):
        return {}
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = jsontext.loads(raw)
    except jsontext.JsonTextError as exc:
        raise AppwriteError(400, "general_argument_invalid", f"Invalid JSON body: {exc}") from None
    if not isinstance(body, dict):
        raise AppwriteError(400, "general_argument_invalid", "Invalid JSON body.")
    return body


def to_response(result: Any) -> Response:
    if isinstance(result, Response):
        return result
    if isinstance(result, tuple):
        status, payload = result
        return json_response(payload, status)
    return json_response(result)


# ------------------------------------------------------------------------------------------ adapters


class Endpoint:
    """A handler bound to its declared services; ``call`` is what Starlette routes to."""

    def __init__(self, handler: Callable[..., Any], *, project: bool = True) -> None:
        self.handler = handler
        self.project = project  # resolve the caller (a project is required); else the caller is a guest
        self.dependencies = dependencies(handler)
        self.is_async = inspect.iscoroutinefunction(handler)

    def services(self, connection: HTTPConnection) -> list[Any]:
        registry = Services.of(connection)
        return [registry.get(kind) for kind in self.dependencies]

    async def call(self, request: Request) -> Response:
        services = self.services(request)
        if self.is_async:
            response: Response = await self.handler(request, *services)
            return response
        body = await read_body(request)
        query = parse_query_string(request.query_params.multi_items())
        headers = {k.lower(): v for k, v in request.headers.items()}
        path = {k: str(v) for k, v in request.path_params.items()}
        callers = Services.of(request).get(Callers) if self.project else None

        def work() -> Response:
            caller = callers.resolve(headers, query) if callers is not None else GUEST
            return to_response(self.handler(Ctx(caller, path, query, body, headers), *services))

        return await run_in_threadpool(work)

    async def call_websocket(self, websocket: WebSocket) -> None:
        await self.handler(websocket, *self.services(websocket))


def endpoint(handler: Callable[..., Any], *, project: bool = True) -> Callable[[Request], Awaitable[Response]]:
    """The Starlette endpoint of ``handler`` (see the module docstring)."""
    return Endpoint(handler, project=project).call


def websocket(handler: Callable[..., Awaitable[None]]) -> Callable[[WebSocket], Awaitable[None]]:
    """The Starlette websocket endpoint of ``async def handler(websocket, *services)``."""
    return Endpoint(handler, project=False).call_websocket
