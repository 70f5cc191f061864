"""How much work a caller without a key can leave the stack holding: executions that wait (scheduled with
``scheduledAt``, or queued async) keep their request body in memory until they run, and a local stack keeps them in
memory only (a restart forgets them). Appwrite keeps them in its database and rate-limits callers; here the bounds are:

- a ``scheduledAt`` at most ``MAX_SCHEDULE_AHEAD_DAYS`` ahead (Appwrite sets no maximum);
- per caller (a user, or a guest by client address) and function, at most ``MAX_PENDING_SCHEDULED`` scheduled and
  ``MAX_PENDING_ASYNC`` queued or running async executions;
- at most ``MAX_PENDING_BYTES`` of request bodies held for all such callers together;
- each body at most ``MAX_BODY_BYTES`` of UTF-8 (Appwrite's 10 MiB execution body) and the caller's headers at most
  ``MAX_HEADER_BYTES`` in all (Appwrite's ``headers`` parameter).

Beyond them a request is refused with Appwrite's 429 ``general_rate_limit_exceeded``. API keys are not counted (they
may do anything anyway), nor are the stack's own event and schedule triggers.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from ..errors import AppwriteError

MAX_SCHEDULE_AHEAD_DAYS = 7
MAX_PENDING_SCHEDULED = 10
MAX_PENDING_ASYNC = 20
MAX_PENDING_BYTES = 64 * 1024 * 1024
MAX_BODY_BYTES = 10 * 1024 * 1024
MAX_HEADER_BYTES = 16 * 1024

SCHEDULED = "scheduled"
ASYNC = "async"


def rate_limited() -> AppwriteError:
    return AppwriteError(
        429,
        "general_rate_limit_exceeded",
        "Rate limit for the current endpoint has been exceeded. Please try again after some time.",
    )


def _nothing() -> None:
    return None


class PendingExecutions:
    """Counts what each caller has waiting; :meth:`admit` takes a place or refuses, the returned function gives
    it back (once, however often it is called)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[tuple[str, str, str], int] = {}
        self._bytes = 0

    def admit(self, caller: str | None, function_id: str, kind: str, size: int) -> Callable[[], None]:
        """Room for one more ``kind`` (:data:`SCHEDULED` or :data:`ASYNC`) execution of ``caller`` holding ``size``
        body bytes, or 429. ``caller`` None (an API key, a trigger of the stack) is never counted."""
        if caller is None:
            return _nothing
        key = (caller, function_id, kind)
        limit = MAX_PENDING_SCHEDULED if kind == SCHEDULED else MAX_PENDING_ASYNC
        with self._lock:
            if self._counts.get(key, 0) >= limit or self._bytes + size > MAX_PENDING_BYTES:
                raise rate_limited()
            self._counts[key] = self._counts.get(key, 0) + 1
            self._bytes += size
        released = threading.Event()

        def release() -> None:
            with self._lock:
                if released.is_set():
                    return
                released.set()
                remaining = self._counts.get(key, 1) - 1
                if remaining > 0:
                    self._counts[key] = remaining
                else:
                    self._counts.pop(key, None)
                self._bytes -= size

        return release

    def held_bytes(self) -> int:
        with self._lock:
            return self._bytes
