"""The Python function runtime, in process: a bounded executor running ``main(context)`` (``context.py``).

What Appwrite's Python runtime (open-runtimes ``runtimes/python/versions/latest/src``) does and this module
reproduces: the entrypoint imported as a package module so relative imports work,
sync or async ``main``, the function's ``timeout`` enforced (a timed-out execution answers 500 and logs
"Execution timed out."), a missing return value answered 500, and the response normalised (content-type defaults
to ``text/plain``, ``; charset=utf-8`` added unless multipart or already present).

Differences, on purpose: four functions share one process, so each gets its own package name
(``_ecotrace_fn_<id>``) instead of ``function``; a timed-out worker thread cannot be killed and runs to its end
in the background (its result is discarded, and ``functions.py`` revokes its execution key so it writes nothing
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

from .context import Context, Request
from .specs import FunctionSpec, source_dir

logger = logging.getLogger(__name__)

RUNTIME_NAME = "Python"
MAX_LOG_CHARS = 4000  # Appwrite keeps the last 4,000 characters of logs and errors (Execution model docs)
_MODULE_PREFIX = "_ecotrace_fn_"


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
