"""Fixed-window rate limits: which window a moment falls in, the counter row of a caller in it, how long to wait.
Pure: no I/O (the counter itself is a row incremented atomically by ``ecotrace.services.rate_limits``).

A window is ``window_ms`` long and aligned to the Unix epoch, so every function instance agrees on it without
talking to the others: the caller's counter for a window is one row whose id is derived from the scope, the key
and the window's start. Only a hash of the key is kept (an IP address or a user id never appears in the id).
Fixed windows let a caller send up to twice the budget around a boundary; the design's 15-minute budget is a
guard against abuse, not an exact quota, so the simpler counter (one atomic increment per request) wins.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from enum import StrEnum

DEFAULT_WINDOW_MS = 900_000  # the design's RATE_LIMIT_WINDOW_MS (15 minutes)
DEFAULT_MAX_REQUESTS = 100  # the design's RATE_LIMIT_MAX_REQUESTS, per user and window
DEFAULT_IP_MAX_REQUESTS = 1000  # per client address: ten users' budgets behind one office NAT
DEFAULT_WEBHOOK_MAX_REQUESTS = 10_000  # per GitHub hook: ~10x the design's 100,000 deliveries a day, in 15 min


class Scope(StrEnum):
    USER = "user"  # x-appwrite-user-id: a signed-in caller
    IP = "ip"  # x-appwrite-client-ip
    HOOK = "hook"  # x-github-hook-id: one GitHub webhook


@dataclass(frozen=True)
class Policy:
    """Budgets per window; 0 turns that limit off."""

    window_ms: int = DEFAULT_WINDOW_MS
    user_max: int = DEFAULT_MAX_REQUESTS
    ip_max: int = DEFAULT_IP_MAX_REQUESTS
    hook_max: int = DEFAULT_WEBHOOK_MAX_REQUESTS

    def __post_init__(self) -> None:
        if self.window_ms < 1000:
            raise ValueError(f"the rate-limit window must be at least 1000 ms, not {self.window_ms}")
        for name in ("user_max", "ip_max", "hook_max"):
            if getattr(self, name) < 0:
                raise ValueError(f"a rate-limit budget cannot be negative ({name}={getattr(self, name)})")

    def budget(self, scope: Scope) -> int:
        return {Scope.USER: self.user_max, Scope.IP: self.ip_max, Scope.HOOK: self.hook_max}[scope]


@dataclass(frozen=True)
class Window:
    start_ms: int
    end_ms: int

    def retry_after_s(self, now_ms: int) -> int:
        """Whole seconds until the window ends (at least 1): the ``Retry-After`` value."""
        return max(1, math.ceil((self.end_ms - now_ms) / 1000))


def window_at(now_ms: int, window_ms: int) -> Window:
    start = now_ms - now_ms % window_ms
    return Window(start, start + window_ms)


def counter_id(scope: Scope, key: str, window: Window) -> str:
    """The counter row's id (35 characters): no raw key in it, distinct per scope, key and window."""
    digest = hashlib.sha256(f"{scope.value}\n{key}\n{window.start_ms}".encode()).hexdigest()
    return "rl_" + digest[:32]


def describe(budget: int, window_ms: int) -> str:
    """ "100 requests per 15 min" for messages."""
    seconds = window_ms / 1000
    span = f"{seconds / 60:g} min" if seconds >= 60 else f"{seconds:g} s"
    return f"{budget} requests per {span}"
