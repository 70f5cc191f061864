"""In-process event bus: the database layer publishes one RowEvent per committed row write; the realtime
hub and the function trigger dispatcher subscribe. Subscribers must return quickly (queue their work)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class RowEvent:
    database_id: str
    table_id: str
    row_id: str
    action: str  # create | update | upsert | delete (increment/decrement publish "update")
    row: dict[str, Any]  # the row JSON exactly as the REST API returns it
    read_roles: frozenset[str]  # table read roles, plus the row's read roles when rowSecurity is on
    timestamp: datetime


Subscriber = Callable[[RowEvent], None]


class EventBus:
    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []
        self._lock = threading.Lock()

    def subscribe(self, fn: Subscriber) -> Callable[[], None]:
        with self._lock:
            self._subscribers.append(fn)

        def unsubscribe() -> None:
            with self._lock:
                if fn in self._subscribers:
                    self._subscribers.remove(fn)

        return unsubscribe

    def publish(self, event: RowEvent) -> None:
        with self._lock:
            subscribers = list(self._subscribers)
        for fn in subscribers:
            fn(event)
