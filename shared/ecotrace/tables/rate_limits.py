"""The ``rate_limits`` table: one counter row per caller and fixed window, id ``domain.rate_limit.counter_id``.

Only functions' keys read or write it (no permissions). A row holds the scope, the window and the count, never
the user id or address it counts (they are hashed into the id). Rows past ``expires_at`` are deleted by the
retention job (``ecotrace.services.retention``).
"""

from __future__ import annotations

from datetime import UTC, datetime

from ..clock import to_iso
from ..domain.rate_limit import Scope, Window
from ..ports import Row

NAME = "rate_limits"
COUNT = "count"


def _time(ms: int) -> str:
    return to_iso(datetime.fromtimestamp(ms / 1000, UTC))


def first_row(scope: Scope, window: Window) -> Row:
    """The row the first request of a window creates (it counts itself)."""
    return {"scope": scope.value, COUNT: 1, "window_start": _time(window.start_ms), "expires_at": _time(window.end_ms)}
