"""The realtime hub: subscriptions, Appwrite 1.9.6's realtime protocol messages and the fan-out of row writes and
finished executions to connections (reference: appwrite-rest.md section 7, appwrite.md "Realtime"). The websocket
``/v1/realtime`` itself is served by ``http/realtime.py``.

- ``?project=`` must name this project, else ``error`` 1008 and close 1008;
- ``?jwt=`` (or the ``x-appwrite-jwt`` header) authenticates as that user; a bad JWT -> ``error`` 401 and close;
- ``channels[]`` in the URL subscribe at once (older clients); ``subscribe`` / ``unsubscribe`` messages manage
  subscriptions by id (current web SDK); ``ping`` -> ``pong``; anything else -> ``error`` 1003, socket kept open;
- each committed row write goes, as an ``event`` frame naming the matching ``subscriptions``, to every connection
  that has a subscription on one of the write's 16 channels AND whose roles may read the row (event roles contain
  ``any`` or meet the connection's roles; guests hold ``any`` and ``guests``);
- a finished function execution is published on ``executions``, ``executions.<id>``, ``functions.<fid>`` to the
  user who ran it.

Subscription ``queries`` (Appwrite query JSON strings) narrow a subscription to payloads matching all of them;
the comparison and null filters are supported, any other query makes the subscribe message an error 1003.

The ``authentication`` message (a session) is answered by ``http/realtime_auth.py``, which knows sessions; here
it is "Session is not valid.".

Threading: the database publishes from whatever thread committed; frames are handed to each connection's asyncio
loop with ``loop.call_soon_threadsafe`` and sent by one writer task per connection.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import threading
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ..events import EventBus, RowEvent
from ..storage.access import Caller
from .event_names import execution_channels, execution_event_names, row_channels, row_event_names
from .executions import Execution

logger = logging.getLogger(__name__)

CLOSE_POLICY_VIOLATION = 1008
ERROR_BAD_MESSAGE = 1003
MAX_MESSAGE_CHARS = 64 * 1024
MAX_SUBSCRIPTIONS = 100
MAX_CHANNELS = 100
QUEUE_LIMIT = 1000  # frames waiting for a slow client; beyond this the client is dropped

Frame = dict[str, Any]


def frame(kind: str, data: Any = None) -> Frame:
    return {"type": kind} if data is None else {"type": kind, "data": data}


def error_frame(code: int, message: str) -> Frame:
    return frame("error", {"code": code, "message": message})


def convert_channels(channels: Iterable[str], user_id: str | None) -> list[str]:
    """Appwrite's ``Realtime::convertChannels``: ``account`` also subscribes ``account.<uid>`` for a user."""
    converted: list[str] = []
    for channel in channels:
        if channel not in converted:
            converted.append(channel)
        if channel == "account" and user_id and f"account.{user_id}" not in converted:
            converted.append(f"account.{user_id}")
    return converted


def may_receive(connection_roles: frozenset[str], event_roles: frozenset[str]) -> bool:
    if not event_roles:
        return False
    return "any" in event_roles or bool(connection_roles & event_roles)


PayloadFilter = Callable[[dict[str, Any]], bool]
_COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "equal": lambda value, wanted: value == wanted,
    "notEqual": lambda value, wanted: value != wanted,
    "greaterThan": lambda value, bound: value > bound,
    "greaterThanEqual": lambda value, bound: value >= bound,
    "lessThan": lambda value, bound: value < bound,
    "lessThanEqual": lambda value, bound: value <= bound,
}


def payload_filter(raw: Any) -> PayloadFilter:
    """One subscription query (a JSON string from ``Query.*``) as a predicate on the event payload.
    Raises ValueError for anything malformed or unsupported."""
    query = json.loads(raw) if isinstance(raw, str) else raw
    if not isinstance(query, dict) or not isinstance(query.get("attribute"), str):
        raise ValueError("bad query")
    method, attribute, values = query.get("method"), query["attribute"], query.get("values") or []
    if method == "isNull":
        return lambda payload: payload.get(attribute) is None
    if method == "isNotNull":
        return lambda payload: payload.get(attribute) is not None
    compare = _COMPARISONS.get(str(method))
    if compare is None or not isinstance(values, list) or not values:
        raise ValueError("unsupported query")

    def matches(payload: dict[str, Any]) -> bool:
        value = payload.get(attribute)
        try:
            if method == "equal":
                return value in values
            if method == "notEqual":
                return value not in values
            return value is not None and compare(value, values[0])
        except TypeError:
            return False

    return matches


@dataclass
class Subscription:
    id: str
    channels: list[str]
    queries: list[Any] = field(default_factory=list)
    filters: list[PayloadFilter] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"subscriptionId": self.id, "channels": list(self.channels), "queries": list(self.queries)}


class Connection:
    def __init__(self, loop: asyncio.AbstractEventLoop, caller: Caller) -> None:
        self.loop = loop
        self.caller = caller
        self.queue: asyncio.Queue[Frame | None] = asyncio.Queue()
        self.subscriptions: dict[str, Subscription] = {}
        self.lock = threading.Lock()
        self.closed = False

    @property
    def roles(self) -> frozenset[str]:
        return self.caller.roles

    def matching(self, channels: set[str], payload: dict[str, Any]) -> list[str]:
        with self.lock:
            return [
                sub.id
                for sub in self.subscriptions.values()
                if channels.intersection(sub.channels) and all(f(payload) for f in sub.filters)
            ]

    def all_channels(self) -> list[str]:
        with self.lock:
            seen: list[str] = []
            for sub in self.subscriptions.values():
                seen.extend(c for c in sub.channels if c not in seen)
            return seen

    def push(self, frame: Frame | None) -> None:
        """Thread-safe: queue a frame for the writer task (drops the client if it cannot keep up)."""
        if self.closed:
            return

        def put() -> None:
            if self.queue.qsize() >= QUEUE_LIMIT:
                logger.warning("realtime client too slow (%d frames queued): disconnecting", QUEUE_LIMIT)
                self.closed = True
                self.queue.put_nowait(None)
                return
            self.queue.put_nowait(frame)

        try:
            self.loop.call_soon_threadsafe(put)
        except RuntimeError:  # the loop has closed: the connection is gone
            self.closed = True


class RealtimeHub:
    """The open connections, and the fan-out of each committed row write (from the bus) and each finished
    execution (``on_execution``) to those that subscribed to one of its channels and may read it."""

    def __init__(self, bus: EventBus, *, legacy_databases: Collection[str] = frozenset()) -> None:
        self._bus = bus
        self._connections: set[Connection] = set()
        self._lock = threading.Lock()
        self.legacy_databases = frozenset(legacy_databases)
        self._unsubscribe: Callable[[], None] | None = None

    def start(self) -> None:
        if self._unsubscribe is None:
            self._unsubscribe = self._bus.subscribe(self.on_row_event)

    def close(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        for connection in self.connections():
            connection.push(None)

    def add(self, connection: Connection) -> None:
        with self._lock:
            self._connections.add(connection)

    def remove(self, connection: Connection) -> None:
        with self._lock:
            self._connections.discard(connection)

    def connections(self) -> list[Connection]:
        with self._lock:
            return list(self._connections)

    def counts(self) -> dict[str, Any]:
        """Open connections, their subscriptions, and connections per subscribed channel (health figures)."""
        channels: dict[str, int] = {}
        subscriptions = 0
        connections = self.connections()
        for connection in connections:
            with connection.lock:
                subscriptions += len(connection.subscriptions)
            for channel in connection.all_channels():
                channels[channel] = channels.get(channel, 0) + 1
        return {"connections": len(connections), "subscriptions": subscriptions, "channels": channels}

    def _publish(self, channels: list[str], roles: frozenset[str], data: dict[str, Any]) -> int:
        payload = data["payload"]
        wanted = set(channels)
        sent = 0
        for connection in self.connections():
            if not may_receive(connection.roles, roles):
                continue
            matched = connection.matching(wanted, payload)
            if matched:
                connection.push(frame("event", {**data, "subscriptions": matched}))
                sent += 1
        return sent

    def on_row_event(self, event: RowEvent) -> None:
        tablesdb = event.database_id not in self.legacy_databases
        channels = row_channels(event.database_id, event.table_id, event.row_id, event.action)
        data = {
            "events": row_event_names(event.database_id, event.table_id, event.row_id, event.action, tablesdb=tablesdb),
            "channels": channels,
            "timestamp": event.timestamp.astimezone(UTC).isoformat(timespec="milliseconds"),
            "payload": event.row,
        }
        self._publish(channels, frozenset(event.read_roles), data)

    def on_execution(self, execution: Execution) -> None:
        channels = execution_channels(execution.function_id, execution.id)
        data = {
            "events": execution_event_names(execution.function_id, execution.id, "update"),
            "channels": channels,
            "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "payload": execution.to_json(include_logs=False, full_response=False),
        }
        self._publish(channels, execution.read_roles(), data)


def parse_subscribe(data: Any, user_id: str | None) -> list[Subscription]:
    """``data``: a list of ``{subscriptionId?, channels, queries?}`` (or one such object). Raises ValueError."""
    items = data if isinstance(data, list) else [data]
    if not items or len(items) > MAX_SUBSCRIPTIONS:
        raise ValueError("bad subscribe")
    subscriptions = []
    for item in items:
        if not isinstance(item, dict):
            raise ValueError("bad subscribe")
        channels = item.get("channels")
        if (
            not isinstance(channels, list)
            or not channels
            or len(channels) > MAX_CHANNELS
            or not all(isinstance(c, str) and c for c in channels)
        ):
            raise ValueError("bad channels")
        queries = item.get("queries") or []
        if not isinstance(queries, list):
            raise ValueError("bad queries")
        filters = [payload_filter(q) for q in queries]  # ValueError (incl. bad JSON) -> error 1003
        sub_id = item.get("subscriptionId") or secrets.token_hex(10)
        if not isinstance(sub_id, str):
            raise ValueError("bad subscriptionId")
        subscriptions.append(Subscription(sub_id, convert_channels(channels, user_id), queries, filters))
    return subscriptions


def handle_message(connection: Connection, text: str) -> Frame:
    """One client message -> the frame to answer with."""
    bad = error_frame(ERROR_BAD_MESSAGE, "Message format is not valid.")
    if len(text) > MAX_MESSAGE_CHARS:
        return bad
    try:
        message = json.loads(text)
    except json.JSONDecodeError:
        return bad
    if not isinstance(message, dict):
        return bad
    kind = message.get("type")
    data = message.get("data")
    if kind == "ping":
        return frame("pong")
    if kind == "subscribe":
        try:
            subscriptions = parse_subscribe(data, connection.caller.user_id)
        except ValueError:
            return bad
        with connection.lock:
            for sub in subscriptions:
                connection.subscriptions[sub.id] = sub
        answer = [s.to_json() for s in subscriptions]
        return frame("response", {"to": "subscribe", "success": True, "subscriptions": answer})
    if kind == "unsubscribe":
        items = data if isinstance(data, list) else [data]
        ids = [i.get("subscriptionId") for i in items if isinstance(i, dict)]
        if not ids or len(ids) != len(items) or not all(isinstance(i, str) for i in ids):
            return bad
        removed = []
        with connection.lock:
            for sub_id in ids:
                gone = connection.subscriptions.pop(str(sub_id), None) is not None
                removed.append({"subscriptionId": sub_id, "removed": gone})
        return frame("response", {"to": "unsubscribe", "success": True, "subscriptions": removed})
    if kind == "authentication":
        if not isinstance(data, dict) or not data.get("session"):
            return bad
        return error_frame(ERROR_BAD_MESSAGE, "Session is not valid.")
    return bad
