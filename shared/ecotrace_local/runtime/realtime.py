"""The realtime hub: the open connections, their subscriptions indexed by channel, and the fan-out of row writes
and finished executions (reference: appwrite-rest.md section 7, appwrite.md "Realtime"; the frames and the parsing
of client messages are ``realtime_messages.py``, the websocket ``/v1/realtime`` itself ``http/realtime.py``).

- each committed row write goes, as an ``event`` frame naming the matching ``subscriptions``, to every connection
  that has a subscription on one of the write's 16 channels (whose ``queries`` the payload meets) AND whose roles
  may read the row (event roles contain ``any`` or meet the connection's roles; guests hold ``any`` and ``guests``);
- a finished function execution is published on ``executions``, ``executions.<id>``, ``functions.<fid>`` to the
  user who ran it.

Off the write path: the committing thread looks the event's channels up in the index (a few dict lookups) and, only
if someone subscribed to one of them, hands the event to the event loop with one ``call_soon_threadsafe``. Matching,
the role check (once per distinct role set) and serialisation (the frame once per event, then only the
``subscriptions`` list per connection) run on the loop, so a write costs the same for 1 or 5,000 subscribers. The
loop sends an event's frames in slices of about a millisecond, one event after another in commit order
(``realtime_fanout.py``), so the write's own HTTP response and other requests are served in between.

Each connection has a bounded outbox of serialised frames that its socket's writer drains. A client that lets
``QUEUE_LIMIT`` frames pile up is dropped: its backlog is discarded, it leaves the hub at once (no more work for it)
and its socket is closed with code 1013 ("Try Again Later"); nobody else waits for it.

The ``authentication`` message (a session) is answered by ``http/realtime_auth.py``, which knows sessions, and
signs the connection in through :meth:`RealtimeHub.sign_in`; here it is "Session is not valid.".

Threading: the hub's state changes only on the event loop (connections come and go there, subscribe messages are
handled there); :meth:`RealtimeHub.counts` may be called from any thread.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Collection, Iterable
from datetime import UTC, datetime
from typing import Any

from ..events import EventBus, RowEvent
from ..storage import jsontext
from ..storage.access import Caller
from .event_names import execution_channels, execution_event_names, row_channels, row_event_names
from .executions import Execution
from .realtime_connection import QUEUE_LIMIT, Connection, FrameSink
from .realtime_fanout import FanOut, FanOutQueue
from .realtime_messages import (
    CLOSE_POLICY_VIOLATION,
    CLOSE_TOO_SLOW,
    ERROR_BAD_MESSAGE,
    MAX_MESSAGE_CHARS,
    Frame,
    Subscription,
    convert_channels,
    dumps,
    error_frame,
    event_head,
    frame,
    may_receive,
    parse_subscribe,
    parse_unsubscribe,
    payload_filter,
    url_subscription,
)

__all__ = [
    "CLOSE_POLICY_VIOLATION",
    "CLOSE_TOO_SLOW",
    "ERROR_BAD_MESSAGE",
    "QUEUE_LIMIT",
    "Connection",
    "Frame",
    "FrameSink",
    "RealtimeHub",
    "Subscription",
    "convert_channels",
    "error_frame",
    "frame",
    "may_receive",
    "payload_filter",
    "url_subscription",
]

logger = logging.getLogger(__name__)


Build = Callable[[], dict[str, Any]]


class RealtimeHub:
    """The open connections and their subscriptions (indexed by channel), and the fan-out of each committed row
    write (from the bus) and each finished execution (``on_execution``)."""

    def __init__(
        self, bus: EventBus, *, legacy_databases: Collection[str] = frozenset(), queue_limit: int = QUEUE_LIMIT
    ) -> None:
        self._bus = bus
        self.legacy_databases = frozenset(legacy_databases)
        self.queue_limit = queue_limit
        self._unsubscribe: Callable[[], None] | None = None
        self._lock = threading.Lock()  # held while the index changes, so counts() on another thread sees it whole
        self._connections: set[Connection] = set()
        # channel -> the connections subscribed to it -> the ids of their subscriptions on it
        self._index: dict[str, dict[Connection, set[str]]] = {}
        self._loops: tuple[asyncio.AbstractEventLoop, ...] = ()
        # per loop, its fan-outs in the order their events were committed (realtime_fanout.py); used on that loop
        self._fanouts: dict[asyncio.AbstractEventLoop, FanOutQueue] = {}
        self._subscriptions = 0
        self._dropped = 0

    # ---- lifecycle

    def start(self) -> None:
        if self._unsubscribe is None:
            self._unsubscribe = self._bus.subscribe(self.on_row_event)

    def close(self) -> None:
        """Stop publishing and close every connection (after what is queued for it). Any thread."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.loop.call_soon_threadsafe(connection.close)
            except RuntimeError:  # its loop has closed: the socket is gone
                connection.closed = True

    # ---- connections and subscriptions (on the connection's loop)

    def new_connection(self, caller: Caller) -> Connection:
        return Connection(asyncio.get_running_loop(), caller, queue_limit=self.queue_limit)

    def add(self, connection: Connection, subscriptions: Iterable[Subscription] = ()) -> None:
        with self._lock:
            self._connections.add(connection)
            if connection.loop not in self._loops:
                self._loops = (*self._loops, connection.loop)
            for sub in subscriptions:
                self._put(connection, sub)

    def remove(self, connection: Connection) -> None:
        with self._lock:
            if connection not in self._connections:
                return
            for sub_id in list(connection.subscriptions):
                self._pop(connection, sub_id)
            self._connections.discard(connection)
            if not any(c.loop is connection.loop for c in self._connections):
                self._loops = tuple(loop for loop in self._loops if loop is not connection.loop)
                self._fanouts.pop(connection.loop, None)  # nobody left on that loop to deliver to

    def subscribe(self, connection: Connection, subscriptions: Iterable[Subscription]) -> None:
        with self._lock:
            for sub in subscriptions:
                self._put(connection, sub)

    def sign_in(self, connection: Connection, caller: Caller) -> None:
        """The connection is ``caller`` from now on (a session signed in by the ``authentication`` message): its
        roles change and every subscription is re-read for the user (``account`` gains ``account.<id>``)."""
        with self._lock:
            connection.caller = caller
            connection.roles = caller.roles
            for sub in list(connection.subscriptions.values()):
                renewed = Subscription(sub.id, convert_channels(sub.channels, caller.user_id), sub.queries, sub.filters)
                self._put(connection, renewed)

    def unsubscribe(self, connection: Connection, ids: Iterable[str]) -> list[bool]:
        with self._lock:
            return [self._pop(connection, sub_id) for sub_id in ids]

    def _put(self, connection: Connection, sub: Subscription) -> None:
        if connection not in self._connections:
            return  # gone (a message read after it was dropped)
        self._pop(connection, sub.id)  # a subscription id given again replaces the earlier one
        connection.subscriptions[sub.id] = sub
        self._subscriptions += 1
        for channel in sub.channels:
            self._index.setdefault(channel, {}).setdefault(connection, set()).add(sub.id)

    def _pop(self, connection: Connection, sub_id: str) -> bool:
        sub = connection.subscriptions.pop(sub_id, None)
        if sub is None:
            return False
        self._subscriptions -= 1
        for channel in sub.channels:
            subscribers = self._index.get(channel, {})
            ids = subscribers.get(connection)
            if ids is None:
                continue
            ids.discard(sub_id)
            if not ids:
                del subscribers[connection]
                if not subscribers:
                    del self._index[channel]
        return True

    def counts(self) -> dict[str, Any]:
        """Open connections, subscriptions, subscribed connections per channel, and clients dropped for being too
        slow since the start. Any thread."""
        with self._lock:
            return {
                "connections": len(self._connections),
                "subscriptions": self._subscriptions,
                "channels": {channel: len(subscribers) for channel, subscribers in sorted(self._index.items())},
                "dropped": self._dropped,
            }

    # ---- client messages (on the connection's loop)

    def handle(self, connection: Connection, text: str) -> Frame:
        """One client message -> the frame to answer with."""
        bad = error_frame(ERROR_BAD_MESSAGE, "Message format is not valid.")
        if len(text) > MAX_MESSAGE_CHARS:
            return bad
        try:
            message = jsontext.loads(text)  # ValueError, nesting depth included
        except ValueError:
            return bad
        if not isinstance(message, dict):
            return bad
        kind, data = message.get("type"), message.get("data")
        try:
            if kind == "ping":
                return frame("pong")
            if kind == "subscribe":
                subscriptions = parse_subscribe(data, connection.caller.user_id)
                self.subscribe(connection, subscriptions)
                answer = [s.to_json() for s in subscriptions]
                return frame("response", {"to": "subscribe", "success": True, "subscriptions": answer})
            if kind == "unsubscribe":
                ids = parse_unsubscribe(data)
                removed = self.unsubscribe(connection, ids)
                listed = [{"subscriptionId": i, "removed": r} for i, r in zip(ids, removed, strict=True)]
                return frame("response", {"to": "unsubscribe", "success": True, "subscriptions": listed})
        except ValueError:
            return bad
        if kind == "authentication":
            if not isinstance(data, dict) or not data.get("session"):
                return bad
            return error_frame(ERROR_BAD_MESSAGE, "Session is not valid.")
        return bad

    def reply(self, connection: Connection, message: Frame) -> None:
        """Send a frame to one connection (on its loop); one that cannot take it any more is dropped."""
        if not connection.send(dumps(message).encode()) and not connection.closed:
            self._drop(connection)

    # ---- fan-out

    def on_row_event(self, event: RowEvent) -> None:
        """From the committing thread: hand the write to the loop if anyone subscribed to one of its channels."""
        if not self._index:
            return
        channels = row_channels(event.database_id, event.table_id, event.row_id, event.action)
        self._post(channels, event.read_roles, lambda: self._row_data(event, channels))

    def on_execution(self, execution: Execution) -> None:
        if not self._index:
            return
        channels = execution_channels(execution.function_id, execution.id)
        self._post(channels, execution.read_roles(), lambda: _execution_data(execution, channels))

    def _row_data(self, event: RowEvent, channels: list[str]) -> dict[str, Any]:
        tablesdb = event.database_id not in self.legacy_databases
        return {
            "events": row_event_names(event.database_id, event.table_id, event.row_id, event.action, tablesdb=tablesdb),
            "channels": channels,
            "timestamp": event.timestamp.astimezone(UTC).isoformat(timespec="milliseconds"),
            "payload": event.row,
        }

    def _post(self, channels: list[str], roles: frozenset[str], build: Build) -> None:
        index = self._index
        if not any(channel in index for channel in channels):
            return
        for loop in self._loops:
            try:
                loop.call_soon_threadsafe(self._deliver, loop, channels, roles, build)
            except RuntimeError:  # that loop has closed; its connections are going
                continue

    def _deliver(
        self, loop: asyncio.AbstractEventLoop, channels: list[str], roles: frozenset[str], build: Build
    ) -> None:
        """On ``loop``: the frame to every connection of it that subscribed to one of ``channels`` and may read."""
        matched: dict[Connection, set[str]] = {}
        for channel in channels:
            for connection, ids in self._index.get(channel, {}).items():
                if connection.loop is loop:
                    matched.setdefault(connection, set()).update(ids)
        if not matched:
            return
        data = build()
        fanout = FanOut(roles, data["payload"], event_head(data).encode(), list(matched.items()), self._drop)
        queue = self._fanouts.get(loop)
        if queue is None:
            queue = self._fanouts[loop] = FanOutQueue(loop)
        queue.add(fanout)

    def _drop(self, connection: Connection) -> None:
        logger.warning(
            "realtime client (%s) too slow: %d frames queued, disconnecting",
            connection.caller.user_id or connection.caller.kind,
            connection.queue_limit,
        )
        reason = f"Client too slow: more than {connection.queue_limit} frames queued."
        connection.close(CLOSE_TOO_SLOW, reason, drop_queued=True)
        self.remove(connection)
        with self._lock:
            self._dropped += 1


def _execution_data(execution: Execution, channels: list[str]) -> dict[str, Any]:
    return {
        "events": execution_event_names(execution.function_id, execution.id, "update"),
        "channels": channels,
        "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "payload": execution.to_json(include_logs=False, full_response=False),
    }
