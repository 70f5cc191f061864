"""Event and schedule triggers for the local functions.

Events: every committed row write (``events.RowEvent`` from the database) is expanded into Appwrite's event names
(``event_names.row_event_names``); each enabled function whose appwrite.json ``events`` contains one of them gets an
async execution with trigger ``event``: POST ``/``, the row JSON as body, ``x-appwrite-event`` = the first name.

Appwrite has no guard against a function that re-triggers itself through its own writes; here a sliding-window
guard drops (and logs) event executions beyond ``max_per_function`` per function or ``max_per_row`` per function
and row within ``window_s`` seconds, so a loop burns out instead of spinning forever.

Schedules: appwrite.json ``schedule`` cron strings (croniter, UTC) fire async executions with trigger ``schedule``
while the stack runs. The clock is injectable, and ``Scheduler.fire_next_due()`` fires the earliest due schedule
at once, for tests and demos.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Collection, Mapping
from datetime import UTC, datetime
from typing import Protocol

from croniter import croniter

from ..events import EventBus, RowEvent
from .event_names import row_event_names
from .executions import Call, Execution
from .specs import FunctionSpec

logger = logging.getLogger(__name__)


class Executor(Protocol):
    """What the triggers need of the functions service (``functions.FunctionsService``)."""

    @property
    def specs(self) -> Mapping[str, FunctionSpec]: ...

    @property
    def legacy_databases(self) -> Collection[str]: ...

    def start(self, spec: FunctionSpec, call: Call) -> Execution: ...


class EventTriggers:
    def __init__(
        self,
        service: Executor,
        *,
        clock: Callable[[], float] = time.monotonic,
        window_s: float = 10.0,
        max_per_function: int = 100,
        max_per_row: int = 10,
    ) -> None:
        self.service = service
        self.clock = clock
        self.window_s = window_s
        self.max_per_function = max_per_function
        self.max_per_row = max_per_row
        self.dropped = 0
        self._recent: dict[tuple[str, ...], deque[float]] = {}
        self._lock = threading.Lock()
        self._unsubscribe: Callable[[], None] | None = None

    def start(self, bus: EventBus) -> None:
        self._unsubscribe = bus.subscribe(self.on_row_event)

    def stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    def _admit(self, function_id: str, event: RowEvent) -> bool:
        now = self.clock()
        keys = [
            ((function_id,), self.max_per_function),
            ((function_id, event.database_id, event.table_id, event.row_id), self.max_per_row),
        ]
        with self._lock:
            windows = []
            for key, limit in keys:
                window = self._recent.setdefault(key, deque())
                while window and now - window[0] > self.window_s:
                    window.popleft()
                if len(window) >= limit:
                    self.dropped += 1
                    return False
                windows.append(window)
            for window in windows:
                window.append(now)
        return True

    def on_row_event(self, event: RowEvent) -> None:
        """Bus subscriber: queue the executions and return at once (the database thread is waiting)."""
        subscribed = [spec for spec in self.service.specs.values() if spec.enabled and spec.events]
        if not subscribed:
            return
        tablesdb = event.database_id not in self.service.legacy_databases
        names = row_event_names(event.database_id, event.table_id, event.row_id, event.action, tablesdb=tablesdb)
        generated = set(names)
        for spec in subscribed:
            if generated.isdisjoint(spec.events):
                continue
            if not self._admit(spec.id, event):
                logger.warning(
                    "event trigger guard: dropped %s for function %s (more than %d per row or %d per function "
                    "within %.0fs; is the function re-triggering itself?)",
                    names[0],
                    spec.id,
                    self.max_per_row,
                    self.max_per_function,
                    self.window_s,
                )
                continue
            call = Call(
                trigger="event",
                method="POST",
                path="/",
                body=json.dumps(event.row, separators=(",", ":")).encode("utf-8"),
                is_async=True,
                event=names[0],
            )
            self.service.start(spec, call)


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Scheduler:
    def __init__(
        self,
        service: Executor,
        *,
        clock: Callable[[], datetime] = _utc_now,
        poll_s: float = 1.0,
        cron: bool = True,
    ) -> None:
        self.service = service
        self.clock = clock
        self.poll_s = poll_s
        self.cron = cron  # appwrite.json schedules fire on their own (one-off scheduledAt executions always do)
        self._next_due: dict[str, datetime] = {}
        self._one_offs: list[tuple[datetime, Callable[[], None]]] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        now = self.clock()
        for spec in service.specs.values():
            if not (spec.enabled and spec.schedule):
                continue
            if not croniter.is_valid(spec.schedule):
                logger.error("function %s: invalid schedule %r, not scheduled", spec.id, spec.schedule)
                continue
            self._next_due[spec.id] = self._after(spec, now)

    @staticmethod
    def _after(spec: FunctionSpec, moment: datetime) -> datetime:
        following: datetime = croniter(spec.schedule, moment).get_next(datetime)
        return following if following.tzinfo else following.replace(tzinfo=UTC)

    def next_due(self) -> dict[str, datetime]:
        with self._lock:
            return dict(self._next_due)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Run the clock loop if there is anything to fire: cron schedules (when enabled) or one-offs."""
        with self._lock:
            needed = (self.cron and bool(self._next_due)) or bool(self._one_offs)
            if self._thread is not None or not needed or self._stop.is_set():
                return
            self._thread = threading.Thread(target=self._loop, name="fn-scheduler", daemon=True)
            self._thread.start()

    def add_one_off(self, due: datetime, launch: Callable[[], None]) -> bool:
        """Call ``launch`` once, when the clock reaches ``due`` (a ``scheduledAt`` execution). False, and nothing
        kept, once the scheduler is stopping: it would never fire."""
        with self._lock:
            if self._stop.is_set():
                return False
            self._one_offs.append((due, launch))
        self.start()
        return True

    def pending_one_offs(self) -> list[datetime]:
        with self._lock:
            return sorted(due for due, _ in self._one_offs)

    def stop(self) -> None:
        self._stop.set()
        with self._lock:
            if self._one_offs:
                logger.warning("%d scheduled executions dropped at shutdown", len(self._one_offs))
            self._one_offs.clear()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _loop(self) -> None:
        while not self._stop.wait(self.poll_s):
            try:
                self.fire_due()
            except Exception:
                logger.exception("scheduler tick failed")

    def fire_due(self, now: datetime | None = None) -> list[Execution]:
        """Fire every schedule due at ``now`` (default: the clock) once, and plan each one's next run."""
        moment = now or self.clock()
        fired: list[Execution] = []
        with self._lock:
            due = [fid for fid, at in self._next_due.items() if at <= moment] if self.cron else []
            for fid in due:
                self._next_due[fid] = self._after(self.service.specs[fid], moment)
            launches = [launch for at, launch in self._one_offs if at <= moment]
            self._one_offs = [(at, launch) for at, launch in self._one_offs if at > moment]
        for fid in due:
            fired.append(self._fire(fid, wait=False))
        for launch in launches:
            launch()
        return fired

    def fire_next_due(self, *, wait: bool = False) -> Execution | None:
        """Fire the schedule that is due soonest, now, without waiting for its time; plan its next run after that
        time. ``wait``: run it to its end before returning (still trigger ``schedule``)."""
        with self._lock:
            if not self._next_due:
                return None
            fid, at = min(self._next_due.items(), key=lambda item: item[1])
            self._next_due[fid] = self._after(self.service.specs[fid], at)
        return self._fire(fid, wait=wait)

    def _fire(self, function_id: str, *, wait: bool) -> Execution:
        spec = self.service.specs[function_id]
        logger.info("schedule %r fires function %s", spec.schedule, spec.id)
        call = Call(trigger="schedule", method="POST", path="/", body=b"", is_async=not wait, event="")
        return self.service.start(spec, call)
