"""Retrying a transaction that met a concurrent writer: jittered exponential backoff inside a time budget.

Appwrite fails a commit with 409 when a row it changes was changed after the operation was staged, or when a
created id exists. A writer that re-reads and re-plans then succeeds once the other writer is done; under a burst
(a CI matrix finishing at once) many writers touch the same person's rows, so each waits a growing, jittered
delay before it tries again, and stops when its budget is spent (the caller then takes another path).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Backoff:
    """Delays of ``base_s * 2**n`` (at most ``cap_s``), times a random factor in [0.5, 1.5), until ``budget_s``
    (counted from the first call of :meth:`start`) is spent."""

    budget_s: float
    base_s: float = 0.01
    cap_s: float = 0.4
    monotonic: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)
    attempts: int = 0
    _deadline: float | None = None

    def start(self) -> Backoff:
        if self._deadline is None:
            self._deadline = self.monotonic() + self.budget_s
        return self

    @property
    def remaining_s(self) -> float:
        return self.start()._deadline - self.monotonic()  # type: ignore[operator]

    def expired(self) -> bool:
        return self.remaining_s <= 0

    def wait(self) -> bool:
        """Sleep before the next attempt; False (no sleep) when the budget would be spent by then."""
        delay = min(self.cap_s, self.base_s * 2**self.attempts) * (0.5 + self.rng.random())
        self.attempts += 1
        if delay >= self.remaining_s:
            return False
        self.sleep(delay)
        return True
