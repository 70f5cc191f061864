"""Circuit breaker and retry policy for calls to outside services.

The breaker keeps a dead source from costing a timeout on every call: after ``failure_threshold``
consecutive failures it opens and fails fast (:class:`~ecotrace.errors.CircuitOpenError`, no call made);
after ``cool_down_s`` it lets one probe through (half-open); the probe's success closes it, its failure
re-opens it for another cool-down. A failure that says when to come back (a 429's ``Retry-After``) longer than
the cool-down opens it at once, for that long. Time is injected (a monotonic seconds clock).

Retries (tenacity) are for transient errors only: timeouts, connection failures, 429 (honouring
``Retry-After`` up to a cap) and 5xx. Never 401, 403 or 404: those will not get better by asking again.
An error is transient when it has a true ``transient`` attribute; ``retry_after_s`` is read when present.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from enum import StrEnum
from typing import Any, TypeVar

from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt, wait_random_exponential

from .errors import CircuitOpenError

T = TypeVar("T")
MAX_HOLD_S = 24 * 3600.0  # a Retry-After longer than this holds the breaker open only this long
MonotonicClock = Callable[[], float]


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    def __init__(
        self,
        name: str,
        *,
        failure_threshold: int = 5,
        cool_down_s: float = 30.0,
        clock: MonotonicClock = time.monotonic,
        counts_as_failure: Callable[[BaseException], bool] = lambda exc: True,
    ) -> None:
        if failure_threshold < 1 or cool_down_s < 0:
            raise ValueError("failure_threshold must be >= 1 and cool_down_s >= 0")
        self.name = name
        self.failure_threshold = failure_threshold
        self.cool_down_s = cool_down_s
        self._clock = clock
        self._counts = counts_as_failure
        self._lock = threading.Lock()
        self._state = BreakerState.CLOSED
        self._failures = 0
        self._opened_at = 0.0
        self._open_for_s = cool_down_s
        self._probe_in_flight = False
        self.last_error: str | None = None
        self.fast_failures = 0

    @property
    def state(self) -> BreakerState:
        with self._lock:
            return self._current_state()

    def _current_state(self) -> BreakerState:
        if self._state is BreakerState.OPEN and self._clock() - self._opened_at >= self._open_for_s:
            self._state = BreakerState.HALF_OPEN
            self._probe_in_flight = False
        return self._state

    def retry_in_s(self) -> float:
        with self._lock:
            if self._current_state() is not BreakerState.OPEN:
                return 0.0
            return max(0.0, self._open_for_s - (self._clock() - self._opened_at))

    def _admit(self) -> None:
        with self._lock:
            state = self._current_state()
            if state is BreakerState.CLOSED:
                return
            if state is BreakerState.HALF_OPEN and not self._probe_in_flight:
                self._probe_in_flight = True
                return
            self.fast_failures += 1
            wait_s = max(0.0, self._open_for_s - (self._clock() - self._opened_at))
            raise CircuitOpenError(
                f"{self.name} is unavailable (circuit open after {self._failures} consecutive failures)",
                details={"source": self.name, "retry_in_s": round(wait_s, 3), "last_error": self.last_error},
            )

    def record_success(self) -> None:
        with self._lock:
            self._state = BreakerState.CLOSED
            self._failures = 0
            self._probe_in_flight = False

    def record_failure(self, exc: BaseException) -> None:
        with self._lock:
            self.last_error = _describe(exc)
            if not self._counts(exc):  # the source answered (a refusal, not an outage): it is up
                if self._state is BreakerState.HALF_OPEN:
                    self._state = BreakerState.CLOSED
                self._failures = 0
                self._probe_in_flight = False
                return
            self._failures += 1
            come_back_s = min(retry_after_s(exc) or 0.0, MAX_HOLD_S)
            if come_back_s > self.cool_down_s:  # the source said when to come back: not before then
                self._state = BreakerState.OPEN
                self._opened_at = self._clock()
                self._open_for_s = come_back_s
            elif self._state is BreakerState.HALF_OPEN or self._failures >= self.failure_threshold:
                self._state = BreakerState.OPEN
                self._opened_at = self._clock()
                self._open_for_s = self.cool_down_s
            self._probe_in_flight = False

    def call(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` through the breaker: CircuitOpenError without calling it when open."""
        self._admit()
        try:
            result = fn()
        except BaseException as exc:
            self.record_failure(exc)
            raise
        self.record_success()
        return result

    def snapshot(self) -> dict[str, Any]:
        """State for a health report: no secrets (errors are described by type and our own message)."""
        with self._lock:
            state = self._current_state()
            retry_in = max(0.0, self._open_for_s - (self._clock() - self._opened_at)) if state == "open" else 0.0
            return {
                "state": state.value,
                "consecutive_failures": self._failures,
                "last_error": self.last_error,
                "retry_in_s": round(retry_in, 3),
                "fast_failures": self.fast_failures,
            }


def _describe(exc: BaseException) -> str:
    code = getattr(exc, "code", None)
    message = getattr(exc, "message", None) or str(exc)
    text = f"{code}: {message}" if isinstance(code, str) else f"{type(exc).__name__}: {message}"
    return text[:300]


def is_transient(exc: BaseException) -> bool:
    return bool(getattr(exc, "transient", False))


def retry_after_s(exc: BaseException) -> float | None:
    value = getattr(exc, "retry_after_s", None)
    return float(value) if isinstance(value, int | float) else None


def retry_policy(
    *,
    attempts: int = 3,
    base_s: float = 0.2,
    max_backoff_s: float = 2.0,
    retry_after_cap_s: float = 5.0,
    sleep: Callable[[float], None] = time.sleep,
    transient: Callable[[BaseException], bool] = is_transient,
) -> Retrying:
    """A tenacity policy: at most ``attempts`` tries, full-jitter exponential back-off (``base_s`` doubling,
    capped at ``max_backoff_s``), transient errors only; a 429's ``Retry-After`` is waited out when it is at
    most ``retry_after_cap_s``, and ends the retries when longer. The last error is re-raised as is."""
    jitter = wait_random_exponential(multiplier=base_s, max=max_backoff_s)

    def should_retry(exc: BaseException) -> bool:
        if not transient(exc):
            return False
        after = retry_after_s(exc)
        return after is None or after <= retry_after_cap_s

    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome is not None else None
        after = retry_after_s(exc) if exc is not None else None
        if after is not None:
            return min(after, retry_after_cap_s)
        return float(jitter(state))

    return Retrying(
        stop=stop_after_attempt(attempts),
        wait=wait,
        retry=retry_if_exception(should_retry),
        sleep=sleep,
        reraise=True,
    )


def retry_call(fn: Callable[[], T], policy: Retrying) -> T:
    """Call ``fn`` under ``policy`` (a fresh copy per call, so statistics do not leak between calls)."""
    return policy.copy()(fn)
