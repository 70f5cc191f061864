"""The Python function runtime, in process: the open-runtimes ``context`` and a bounded executor.

What Appwrite's Python runtime (open-runtimes ``runtimes/python/versions/latest/src``) does and this module
reproduces: ``context.req`` (raw body bytes plus text/JSON views, lower-case headers, method, path, query, url),
``context.res`` builders returning plain ``{"body","statusCode","headers"}`` dicts, ``context.log`` /
``context.error`` collected per execution, the entrypoint imported as a package module so relative imports work,
sync or async ``main``, the function's ``timeout`` enforced (a timed-out execution answers 500 and logs
"Execution timed out."), a missing return value answered 500, and the response normalised (content-type defaults
to ``text/plain``, ``; charset=utf-8`` added unless multipart or already present).

Differences, on purpose: four functions share one process, so each gets its own package name
(``_ecotrace_fn_<id>``) instead of ``function``; a timed-out worker thread cannot be killed and runs to its end
in the background (its result is discarded, and ``functions_api`` revokes its execution key so it writes nothing
more); ``print()`` goes to the stack's own output, not the execution's logs
(use ``context.log``); the process environment is shared, so ``APPWRITE_FUNCTION_ID`` is best effort.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import json
import logging
import os
import re
import sys
import threading
import time
import traceback
import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

logger = logging.getLogger(__name__)

RUNTIME_NAME = "Python"
MAX_LOG_CHARS = 4000  # Appwrite keeps the last 4,000 characters of logs and errors (Execution model docs)
_MODULE_PREFIX = "_ecotrace_fn_"


# --------------------------------------------------------------------------------------------------------------
# context.req / context.res / context


class Request:
    """``context.req``. ``body_json`` raises (ValueError) on an empty or non-JSON body, as the runtime does."""

    def __init__(
        self,
        *,
        body_binary: bytes = b"",
        headers: Mapping[str, str] | None = None,
        method: str = "POST",
        path: str = "/",
        query_string: str = "",
        scheme: str = "http",
        host: str = "localhost",
        port: int = 80,
    ) -> None:
        self.body_binary = body_binary
        self.headers: dict[str, str] = {k.lower(): v for k, v in (headers or {}).items()}
        self.method = method.upper()
        self.path = path or "/"
        self.query_string = query_string
        self.query: dict[str, str] = parse_query(query_string)
        self.scheme = scheme
        self.host = host
        self.port = port
        default_port = 443 if scheme == "https" else 80
        url = f"{scheme}://{host}"
        if port != default_port:
            url += f":{port}"
        url += self.path
        if query_string:
            url += f"?{query_string}"
        self.url = url

    @property
    def body_text(self) -> str:
        return self.body_binary.decode("utf-8")

    @property
    def body_json(self) -> Any:
        return json.loads(self.body_text)

    @property
    def body_raw(self) -> str:
        return self.body_text

    @property
    def body(self) -> Any:
        """Legacy view: parsed JSON for a JSON content-type ({} when empty), otherwise the text."""
        content_type = self.headers.get("content-type", "text/plain").lower()
        if content_type.startswith("application/json"):
            return self.body_json if self.body_binary else {}
        return self.body_text


def parse_query(query_string: str) -> dict[str, str]:
    """Like the runtime: split on ``&`` and the first ``=``, no percent-decoding, later keys win."""
    query: dict[str, str] = {}
    for param in query_string.split("&"):
        key, sep, value = param.partition("=")
        if key:
            query[key] = value if sep else ""
    return query


class Response:
    """``context.res``. Each builder returns ``{"body", "statusCode", "headers"}``; header dicts are copied."""

    def binary(self, data: bytes, statusCode: int = 200, headers: Mapping[str, str] | None = None) -> dict[str, Any]:
        return {"body": data, "statusCode": statusCode, "headers": dict(headers or {})}

    def text(self, body: str, statusCode: int = 200, headers: Mapping[str, str] | None = None) -> dict[str, Any]:
        return self.binary(body.encode("utf-8"), statusCode, headers)

    def send(self, body: Any, statusCode: int = 200, headers: Mapping[str, str] | None = None) -> dict[str, Any]:
        return {"body": body, "statusCode": statusCode, "headers": dict(headers or {})}

    def json(self, obj: Any, statusCode: int = 200, headers: Mapping[str, str] | None = None) -> dict[str, Any]:
        merged = {**dict(headers or {}), "content-type": "application/json"}
        return self.text(json.dumps(obj, separators=(",", ":")), statusCode, merged)

    def empty(self) -> dict[str, Any]:
        return self.text("", 204, {})

    def redirect(self, url: str, statusCode: int = 301, headers: Mapping[str, str] | None = None) -> dict[str, Any]:
        merged = {**dict(headers or {}), "location": url}
        return self.text("", statusCode, merged)


def _format_log(messages: tuple[Any, ...]) -> str:
    parts = []
    for message in messages:
        if isinstance(message, dict | list):
            parts.append(json.dumps(message))
        else:
            parts.append(str(message))
    return " ".join(parts)


class Context:
    def __init__(self, req: Request) -> None:
        self.req = req
        self.res = Response()
        self.logs: list[str] = []
        self.errors: list[str] = []

    def log(self, *messages: Any) -> None:
        self.logs.append(_format_log(messages))

    def error(self, *messages: Any) -> None:
        self.errors.append(_format_log(messages))


# --------------------------------------------------------------------------------------------------------------
# functions from appwrite.json


@dataclass(frozen=True)
class FunctionSpec:
    id: str
    name: str
    runtime: str
    entrypoint: str
    path: str
    timeout_s: int = 15
    execute: tuple[str, ...] = ()
    events: tuple[str, ...] = ()
    schedule: str = ""
    scopes: tuple[str, ...] = ()
    enabled: bool = True

    @classmethod
    def from_appwrite_json(cls, data: Mapping[str, Any]) -> FunctionSpec:
        function_id = str(data["$id"])
        return cls(
            id=function_id,
            name=str(data.get("name") or function_id),
            runtime=str(data.get("runtime", "python-3.12")),
            entrypoint=str(data.get("entrypoint", "src/main.py")),
            path=str(data.get("path") or f"functions/{function_id}"),
            timeout_s=max(1, int(data.get("timeout", 15))),
            execute=tuple(str(r) for r in data.get("execute", [])),
            events=tuple(str(e) for e in data.get("events", [])),
            schedule=str(data.get("schedule") or ""),
            scopes=tuple(str(s) for s in data.get("scopes", [])),
            enabled=bool(data.get("enabled", True)),
        )


def load_specs(appwrite_json: Mapping[str, Any]) -> dict[str, FunctionSpec]:
    specs = [FunctionSpec.from_appwrite_json(f) for f in appwrite_json.get("functions", [])]
    return {spec.id: spec for spec in specs}


def source_dir(root: Path, spec: FunctionSpec) -> Path:
    """The folder to import from. appwrite.json points at the built ``dist/functions/<id>``; locally the source
    folder ``functions/<id>`` is preferred (edits apply without a build) and used whenever it exists."""
    declared = root / spec.path
    parts = Path(spec.path).parts
    if len(parts) >= 3 and parts[0] == "dist" and parts[1] == "functions":
        source = root.joinpath(*parts[1:])
        if source.is_dir():
            return source
    return declared


def _package_name(function_id: str) -> str:
    return _MODULE_PREFIX + re.sub(r"[^0-9A-Za-z_]", "_", function_id)


def import_entrypoint(function_id: str, folder: Path, entrypoint: str) -> types.ModuleType:
    """Import ``folder/entrypoint`` as ``<unique package>.<entrypoint with / as .>``, as the runtime imports
    ``function.src.main``: sub-folders are (namespace) packages, so relative imports work."""
    if not (folder / entrypoint).is_file():
        raise FileNotFoundError(f"entrypoint {entrypoint!r} not found in {folder}")
    package = _package_name(function_id)
    # Forget an earlier import of the same function (a reload after edits, or another root in tests).
    for name in [n for n in sys.modules if n == package or n.startswith(package + ".")]:
        del sys.modules[name]
    root_module = types.ModuleType(package)
    root_module.__path__ = [str(folder)]
    root_module.__package__ = package
    sys.modules[package] = root_module
    dotted = entrypoint[:-3] if entrypoint.endswith(".py") else entrypoint
    return importlib.import_module(package + "." + dotted.replace("/", "."))


# --------------------------------------------------------------------------------------------------------------
# executing


@dataclass(frozen=True)
class Invocation:
    """What one execution sends the function (headers already include the server-set x-appwrite-*)."""

    method: str = "POST"
    path: str = "/"
    query_string: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    scheme: str = "http"
    host: str = "localhost"
    port: int = 80


@dataclass(frozen=True)
class Outcome:
    status_code: int
    body: bytes
    headers: dict[str, str]
    logs: str
    errors: str
    duration_s: float
    timed_out: bool = False


def split_path(path_and_query: str) -> tuple[str, str]:
    """ "/a/b?x=1" -> ("/a/b", "x=1"); an empty path becomes "/"."""
    parts = urlsplit(path_and_query or "/")
    path = parts.path or "/"
    if not path.startswith("/"):
        path = "/" + path
    return path, parts.query


def _normalise_output(context: Context, output: Any) -> tuple[int, bytes, dict[str, str]]:
    if output is None:
        context.error("Return statement missing. return context.res.empty() if no response is expected.")
        return 500, b"", {"content-type": "text/plain; charset=utf-8"}
    if not isinstance(output, Mapping):
        context.error(f"Invalid return value of type {type(output).__name__}: return a context.res.* result.")
        return 500, b"", {"content-type": "text/plain; charset=utf-8"}
    raw_body = output.get("body", b"")
    if isinstance(raw_body, bytes | bytearray):
        body = bytes(raw_body)
    elif isinstance(raw_body, str):
        body = raw_body.encode("utf-8")
    elif raw_body is None:
        body = b""
    else:
        body = json.dumps(raw_body).encode("utf-8") if isinstance(raw_body, dict | list) else str(raw_body).encode()
    try:
        status = int(output.get("statusCode", 200))
    except (TypeError, ValueError):
        context.error(f"Invalid statusCode {output.get('statusCode')!r}")
        status = 500
    headers: dict[str, str] = {}
    for key, value in dict(output.get("headers") or {}).items():
        lowered = str(key).lower()
        if not lowered.startswith("x-open-runtimes-"):
            headers[lowered] = str(value)
    content_type = headers.get("content-type", "text/plain").lower()
    if not content_type.startswith("multipart/") and "charset=" not in content_type:
        content_type += "; charset=utf-8"
    headers["content-type"] = content_type
    return status, body, headers


def _tail(lines: list[str]) -> str:
    text = "\n".join(lines)
    return text[-MAX_LOG_CHARS:]


class FunctionRuntime:
    """Loads functions lazily (again when their source changes) and runs each call on its own daemon thread, at
    most ``max_concurrent`` at once, under the function's timeout. Daemon threads: a function stuck past its
    timeout keeps its slot until it returns, but never blocks the process from exiting."""

    def __init__(
        self,
        root: Path,
        specs: Mapping[str, FunctionSpec],
        *,
        env: Mapping[str, str] | None = None,
        max_concurrent: int = 32,
        reload_on_change: bool = True,
    ) -> None:
        self.root = root
        self.specs = dict(specs)
        self.env = dict(env or {})
        self._slots = threading.BoundedSemaphore(max_concurrent)
        self._modules: dict[str, tuple[types.ModuleType, float]] = {}
        self._lock = threading.Lock()
        self._reload_on_change = reload_on_change
        self._closed = False

    def shutdown(self) -> None:
        self._closed = True

    def _entry_mtime(self, spec: FunctionSpec) -> float:
        """Newest modification time of the entrypoint's folder (e.g. ``src/``), or of the entry file itself."""
        folder = source_dir(self.root, spec)
        entry = Path(spec.entrypoint)
        if len(entry.parts) == 1:
            path = folder / entry
            return path.stat().st_mtime if path.exists() else 0.0
        newest = 0.0
        for path in (folder / entry.parts[0]).rglob("*.py"):
            newest = max(newest, path.stat().st_mtime)
        return newest

    def main_for(self, spec: FunctionSpec) -> Callable[[Context], Any]:
        with self._lock:
            cached = self._modules.get(spec.id)
            mtime = self._entry_mtime(spec) if (cached is None or self._reload_on_change) else cached[1]
            if cached is None or mtime > cached[1]:
                module = import_entrypoint(spec.id, source_dir(self.root, spec), spec.entrypoint)
                cached = (module, mtime)
                self._modules[spec.id] = cached
        main = getattr(cached[0], "main", None)
        if not callable(main):
            raise AttributeError(f"{spec.entrypoint} of function {spec.id!r} defines no main(context)")
        return main  # type: ignore[no-any-return]

    def run(self, spec: FunctionSpec, invocation: Invocation, *, wait_s: float | None = None) -> Outcome:
        """Run one execution and wait for it (at most the function's timeout, or ``wait_s`` when shorter, after
        which the outcome is a 500 "Execution timed out.")."""
        path, _ = split_path(invocation.path)
        req = Request(
            body_binary=invocation.body,
            headers=invocation.headers,
            method=invocation.method,
            path=path,
            query_string=invocation.query_string,
            scheme=invocation.scheme,
            host=invocation.host,
            port=invocation.port,
        )
        context = Context(req)
        started = time.monotonic()
        limit_s = float(spec.timeout_s) if wait_s is None else min(float(spec.timeout_s), wait_s)
        done = threading.Event()
        box: dict[str, Any] = {}

        def work() -> None:
            try:
                box["output"] = self._call(spec, context)
            except Exception as exc:  # the function's own failure: reported with its traceback, as the runtime does
                box["error"] = exc
            finally:
                self._slots.release()
                done.set()

        timed_out = False
        if self._closed:
            context.error("The local stack is shutting down.")
        elif self._slots.acquire(timeout=limit_s):
            threading.Thread(target=work, name=f"fn-{spec.id}", daemon=True).start()
            timed_out = not done.wait(max(0.0, limit_s - (time.monotonic() - started)))
        else:
            timed_out = True
        plain = {"content-type": "text/plain; charset=utf-8"}
        if timed_out:
            context.error("Execution timed out.")
            status, body, headers = 500, b"", plain
        elif "error" in box:
            context.error("".join(traceback.TracebackException.from_exception(box["error"]).format()))
            status, body, headers = 500, b"", plain
        elif "output" in box:
            status, body, headers = _normalise_output(context, box["output"])
        else:
            status, body, headers = 500, b"", plain
        duration_s = time.monotonic() - started
        return Outcome(
            status_code=status,
            body=body,
            headers=headers,
            logs=_tail(list(context.logs)),
            errors=_tail(list(context.errors)),
            duration_s=duration_s,
            timed_out=timed_out,
        )

    def _call(self, spec: FunctionSpec, context: Context) -> Any:
        # Best effort: the process environment is shared, so functions running at the same moment (or two stacks
        # in one process) see the last writer's values.
        os.environ.update(self.env)
        os.environ["APPWRITE_FUNCTION_ID"] = spec.id
        os.environ["APPWRITE_FUNCTION_NAME"] = spec.name
        main = self.main_for(spec)
        if inspect.iscoroutinefunction(main):
            return asyncio.run(main(context))
        result = main(context)
        if inspect.isawaitable(result):
            return asyncio.run(_await(result))
        return result


async def _await(awaitable: Any) -> Any:
    return await awaitable
