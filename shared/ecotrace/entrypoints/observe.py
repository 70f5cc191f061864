"""Structured logs: one JSON line per execution in ``logs``, one JSON line per error or warning in ``errors``.

Each function's ``main`` hands its work to :func:`observed`, which times it, counts the Appwrite requests its SDK
clients send, reads the process's peak memory, and writes the summary line at the end however the work ended::

    {"type": "execution", "function": "github-webhook", "trigger": "http", "request_id": "<execution id>",
     "delivery_id": "...", "action": null, "caller": "github", "status": 200, "outcome": "processed",
     "duration_ms": 41.2, "appwrite_requests": 6, "peak_memory_mb": 83.4, "time": "2026-12-03T12:00:00.000Z"}

Errors (an ``EcoTraceError`` answered 4xx/5xx, an unexpected exception answered 500 with its traceback frames,
and warnings logged through the ``ecotrace`` loggers during the execution) are ``{"type": "error" | "log", ...}``
lines in ``errors``. Everything written, answers included, passes through ``domain.redaction`` built with this
deployment's secrets, the execution's key and the caller's JWT: no secret, token, JWT or password reaches a log
or an answer, and no e-mail address reaches a log.

``peak_memory_mb`` is the process's peak resident set (``ru_maxrss``): an execution's own on a fresh Appwrite
instance, the largest so far on a warm one, the whole server's on the local stack (four functions, one process).
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from typing import Any

from ..adapters.appwrite_store import counting_requests
from ..clock import to_iso, utc_now
from ..domain.invocation import Invocation
from ..domain.redaction import Redactor
from ..errors import EcoTraceError
from .http import error_response

SECRET_VARIABLES = (
    "GITHUB_WEBHOOK_SECRET",
    "GITHUB_WEBHOOK_SECRET_PREVIOUS",
    "GITHUB_TOKEN",
    "ELECTRICITY_MAPS_API_KEY",
    "ECOTRACE_SERVICE_TOKEN",
    "AWS_SECRET_ACCESS_KEY",
    "APPWRITE_API_KEY",
    "ECOTRACE_LOCAL_API_KEY",
    "ECOTRACE_LOCAL_JWT_SECRET",
)
SECRET_HEADERS = ("x-appwrite-key", "x-appwrite-user-jwt", "x-ecotrace-service-token", "authorization")
MAX_FRAMES = 8

try:
    import resource
except ImportError:  # pragma: no cover - not Linux
    resource = None  # type: ignore[assignment]


def peak_memory_mb() -> float | None:
    if resource is None:  # pragma: no cover
        return None
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1)  # KiB on Linux


def redactors(headers: Mapping[str, str], env: Mapping[str, str]) -> tuple[Redactor, Redactor]:
    """(for logs, for answers): the same secrets; logs also lose e-mail addresses."""
    known = [env.get(name) for name in SECRET_VARIABLES] + [headers.get(name) for name in SECRET_HEADERS]
    return Redactor.of(known, emails=True), Redactor.of(known, emails=False)


class Execution:
    """One execution being observed: what ``run`` functions use to answer and to add to the summary line."""

    def __init__(self, context: Any, function: str) -> None:
        self.context = context
        self.function = function
        headers = {str(k).lower(): str(v) for k, v in dict(context.req.headers or {}).items()}
        self.headers = headers
        self.invocation = Invocation.from_headers(headers)
        self.log_redactor, self.answer_redactor = redactors(headers, os.environ)
        self.fields: dict[str, Any] = {
            "type": "execution",
            "function": function,
            "trigger": self.invocation.trigger,
            "request_id": self.invocation.execution_id,
        }
        if headers.get("x-github-delivery"):
            self.fields["delivery_id"] = headers["x-github-delivery"][:64]
        self.status: int | None = None

    def note(self, **fields: Any) -> None:
        """Add fields to the summary line (``action``, ``caller``, ``outcome`` ...)."""
        self.fields.update(fields)

    def forget(self, *secrets: str | None) -> None:
        """Values seen during the execution that must never be written (a token in the request body)."""
        kept = [s for s in secrets if s]
        if kept:
            self.log_redactor = Redactor.of([*self.log_redactor.secrets, *kept], emails=True)
            self.answer_redactor = Redactor.of([*self.answer_redactor.secrets, *kept], emails=False)

    def respond(self, body: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Any:
        self.status = status
        return self.context.res.json(self.answer_redactor.value(body), statusCode=status, headers=dict(headers or {}))

    def fail(self, exc: EcoTraceError) -> Any:
        """The error's answer (``entrypoints.http.error_response``) and its JSON line in ``errors``."""
        self.status = exc.status
        self.fields.setdefault("outcome", exc.code)
        self.error_line({"error": exc.code, "status": exc.status, "message": exc.message, "details": exc.details})
        return error_response(self.context, exc, self.answer_redactor.value)

    def error_line(self, data: Mapping[str, Any], kind: str = "error") -> None:
        line = {"type": kind, "function": self.function, "request_id": self.invocation.execution_id, **data}
        self.context.error(json.dumps(self.log_redactor.value(line), separators=(",", ":"), default=str))

    def summary(self, duration_s: float, appwrite_requests: int) -> str:
        line = {
            **self.fields,
            "status": self.status,
            "duration_ms": round(duration_s * 1000.0, 1),
            "appwrite_requests": appwrite_requests,
            "peak_memory_mb": peak_memory_mb(),
            "time": to_iso(utc_now()),
        }
        return json.dumps(self.log_redactor.value(line), separators=(",", ":"), default=str)


class _ExecutionLogHandler(logging.Handler):
    """Warnings and errors logged by ``ecotrace`` modules on the execution's own thread, as JSON lines."""

    def __init__(self, execution: Execution) -> None:
        super().__init__(logging.WARNING)
        self.execution = execution
        self.thread = threading.get_ident()

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread != self.thread:
            return
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            message = str(record.msg)
        self.execution.error_line({"level": record.levelname.lower(), "logger": record.name, "message": message}, "log")


def observed(context: Any, function: str, run: Callable[[Execution], Any]) -> Any:
    """Run ``run(execution)`` and log it: see the module docstring. An exception ``run`` did not expect is
    answered 500 (``internal_error``) after its redacted type, message and frames are logged."""
    execution = Execution(context, function)
    handler = _ExecutionLogHandler(execution)
    logger = logging.getLogger("ecotrace")
    logger.addHandler(handler)
    started = time.monotonic()
    with counting_requests() as count:
        try:
            return run(execution)
        except EcoTraceError as exc:
            return execution.fail(exc)
        except Exception as exc:
            frames = traceback.extract_tb(exc.__traceback__)[-MAX_FRAMES:]
            execution.error_line(
                {
                    "error": "internal_error",
                    "exception": type(exc).__name__,
                    "message": str(exc),
                    "frames": [f"{os.path.basename(f.filename)}:{f.lineno} {f.name}" for f in frames],
                }
            )
            execution.note(outcome="internal_error")
            return execution.respond({"ok": False, "error": "internal_error", "message": "unexpected error"}, 500)
        finally:
            logger.removeHandler(handler)
            context.log(execution.summary(time.monotonic() - started, count.requests))
