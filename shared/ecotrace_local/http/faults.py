"""Fault injection and a request log, so tests can make "Appwrite" fail part-way through a sequence.

``stack.faults.add(method="POST", path_pattern=r"/rows$", status=503, times=1, after=0, delay_s=0.0)``: the
matching requests after the first ``after`` matches get ``status`` (Appwrite error JSON) and/or a delay,
``times`` times (``times=0`` = forever). ``stack.request_log`` records ``(method, path, status)`` per request.

Out of process, with the project API key (``X-Appwrite-Project`` + ``X-Appwrite-Key``):
- ``POST /v1/_local/faults`` ``{"method"?, "pathPattern", "status"?: 503|null, "times"?: 1, "after"?: 0,
  "delayS"?: 0.0, "type"?, "message"?}`` -> 201 ``{"id"}``;
- ``GET /v1/_local/faults`` -> ``{"faults": [...]}``; ``DELETE /v1/_local/faults`` ``{"id"?}`` -> 204 (all without id);
- ``GET /v1/_local/requests`` -> ``{"total", "requests": [{"method", "path", "status"}]}``.
Requests under ``/v1/_local/`` are never faulted.
"""

from __future__ import annotations

import re
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from ..errors import AppwriteError

FAULT_TYPES = {
    400: "general_bad_request",
    401: "user_unauthorized",
    404: "general_route_not_found",
    408: "database_timeout",
    409: "row_already_exists",
    429: "general_rate_limit_exceeded",
    500: "general_unknown",
    503: "general_service_unavailable",
}
FAULT_MESSAGES = {
    503: "The server is currently unavailable. Please try again later.",
    429: "Rate limit for the current endpoint has been exceeded. Please try again after some time.",
    408: "Database timed out. Try adjusting your queries or adding an index.",
}


@dataclass
class Fault:
    method: str | None
    path_pattern: re.Pattern[str]
    status: int | None
    times: int
    after: int
    delay_s: float
    type: str
    message: str
    seen: int = 0
    fired: int = 0

    def to_json(self, fault_id: int) -> dict[str, Any]:
        return {
            "id": fault_id,
            "method": self.method,
            "pathPattern": self.path_pattern.pattern,
            "status": self.status,
            "times": self.times,
            "after": self.after,
            "delayS": self.delay_s,
            "fired": self.fired,
        }


@dataclass(frozen=True)
class FaultAction:
    status: int | None
    delay_s: float
    type: str
    message: str

    def error(self) -> AppwriteError | None:
        if self.status is None:
            return None
        return AppwriteError(self.status, self.type, self.message)


@dataclass
class Faults:
    _rules: dict[int, Fault] = field(default_factory=dict)
    _next: int = 1
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(
        self,
        method: str | None = None,
        path_pattern: str = ".*",
        status: int | None = 503,
        times: int = 1,
        after: int = 0,
        delay_s: float = 0.0,
        type_: str | None = None,
        message: str | None = None,
    ) -> int:
        """Register a fault; returns its id (for :meth:`remove`)."""
        if status is None and delay_s <= 0:
            raise ValueError("a fault needs a status or a delay")
        if times < 0 or after < 0 or delay_s < 0:
            raise ValueError("times, after and delay_s must be >= 0")
        rule = Fault(
            method=method.upper() if method else None,
            path_pattern=re.compile(path_pattern),
            status=status,
            times=times,
            after=after,
            delay_s=delay_s,
            type=type_ or FAULT_TYPES.get(status or 0, "general_unknown"),
            message=message or FAULT_MESSAGES.get(status or 0, "Injected fault."),
        )
        with self._lock:
            fault_id = self._next
            self._next += 1
            self._rules[fault_id] = rule
        return fault_id

    def remove(self, fault_id: int) -> bool:
        with self._lock:
            return self._rules.pop(fault_id, None) is not None

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def list(self) -> list[dict[str, Any]]:
        with self._lock:
            return [rule.to_json(i) for i, rule in self._rules.items()]

    def match(self, method: str, path: str) -> FaultAction | None:
        """The action for this request (consumes one firing), or None."""
        with self._lock:
            for fault_id, rule in list(self._rules.items()):
                if rule.method and rule.method != method.upper():
                    continue
                if not rule.path_pattern.search(path):
                    continue
                rule.seen += 1
                if rule.seen <= rule.after:
                    continue
                rule.fired += 1
                if rule.times and rule.fired >= rule.times:
                    del self._rules[fault_id]
                return FaultAction(rule.status, rule.delay_s, rule.type, rule.message)
        return None


class LoggedRequest(NamedTuple):
    """One request: unpack it (``method, path, status = entry``) or use the attributes."""

    method: str
    path: str
    status: int


class RequestLog:
    """Thread-safe list of ``(method, path, status)``; iterate, ``len()``, ``count(...)`` or ``clear()``.
    Keeps the last ``limit`` requests, so a long-running ``make dev`` does not grow without bound."""

    def __init__(self, limit: int = 100_000) -> None:
        self._items: deque[LoggedRequest] = deque(maxlen=limit)
        self._lock = threading.Lock()

    def append(self, method: str, path: str, status: int) -> None:
        with self._lock:
            self._items.append(LoggedRequest(method, path, status))

    def entries(self) -> list[LoggedRequest]:
        with self._lock:
            return list(self._items)

    def count(self, method: str | None = None, path_pattern: str | None = None) -> int:
        pattern = re.compile(path_pattern) if path_pattern else None
        return sum(
            1
            for item in self.entries()
            if (method is None or item.method == method.upper()) and (pattern is None or pattern.search(item.path))
        )

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def __iter__(self) -> Any:
        return iter(self.entries())
