"""Small glue shared by the REST modules: request parsing, caller resolution, JSON/204 responses.

Handlers are plain synchronous functions ``(ctx) -> Response | (status, payload)``; they run in the thread pool
(the SQLite store blocks) while the event loop keeps serving function callbacks.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .auth import resolve_caller
from .errors import AppwriteError, argument_invalid
from .storage.access import GUEST, Caller
from .storage.ids import is_uid

if TYPE_CHECKING:
    from .app import LocalStack

JSON_MEDIA = "application/json; charset=UTF-8"
EMPTY_MEDIA = "text/html; charset=UTF-8"
UID_DESCRIPTION = (
    "UID must contain at most 36 chars. Valid chars are a-z, A-Z, 0-9, and underscore. "
    "Can't start with a leading underscore"
)
CUSTOM_ID_DESCRIPTION = (
    "Parameter must contain at most 36 chars. Valid chars are a-z, A-Z, 0-9, period, hyphen, and underscore. "
    "Can't start with a special char"
)


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


def parse_query_string(items: list[tuple[str, str]]) -> dict[str, Any]:
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
    stack: LocalStack
    caller: Caller
    path: dict[str, str]
    query: dict[str, Any]
    body: dict[str, Any]
    headers: Mapping[str, str] = field(default_factory=dict)

    def param(self, name: str, default: Any = None) -> Any:
        if name in self.body:
            return self.body[name]
        return self.query.get(name, default)


Handler = Callable[[Ctx], Any]


async def read_body(request: Request) -> dict[str, Any]:
    if request.method in ("GET", "HEAD"):
        return {}
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        raise AppwriteError(400, "general_argument_invalid", "Invalid JSON body.") from None
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


def endpoint(stack: LocalStack, handler: Handler, *, needs_project: bool = True) -> Callable[[Request], Any]:
    async def run(request: Request) -> Response:
        body = await read_body(request)
        query = parse_query_string(list(request.query_params.multi_items()))
        headers = {k.lower(): v for k, v in request.headers.items()}
        path = {k: str(v) for k, v in request.path_params.items()}

        def work() -> Response:
            caller = resolve_caller(stack, headers, query) if needs_project else GUEST
            return to_response(handler(Ctx(stack, caller, path, query, body, headers)))

        return await run_in_threadpool(work)

    return run
