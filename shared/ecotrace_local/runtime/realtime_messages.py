"""Appwrite 1.9.6's realtime protocol as values (reference: appwrite-rest.md section 7, appwrite.md "Realtime"):
the frames, the ``subscribe`` message parsed into :class:`Subscription` values, subscription ``queries`` as payload
predicates, channel conversion and who may receive an event. No I/O and no state: the hub (``realtime.py``) keeps
the connections and delivers.

Subscription ``queries`` (Appwrite query JSON strings) narrow a subscription to payloads matching all of them;
the comparison and null filters are supported, any other query makes the subscribe message an error 1003.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from ..storage import jsontext

CLOSE_POLICY_VIOLATION = 1008
# RFC 6455 / IANA "Try Again Later": the server drops a client that cannot keep up; the web SDK reconnects after any
# close code but 1008, so such a client comes back and starts from live events again.
CLOSE_TOO_SLOW = 1013
ERROR_BAD_MESSAGE = 1003
MAX_MESSAGE_CHARS = 64 * 1024
MAX_SUBSCRIPTIONS = 100
MAX_CHANNELS = 100

Frame = dict[str, Any]
PayloadFilter = Callable[[dict[str, Any]], bool]


def frame(kind: str, data: Any = None) -> Frame:
    return {"type": kind} if data is None else {"type": kind, "data": data}


def error_frame(code: int, message: str) -> Frame:
    return frame("error", {"code": code, "message": message})


def dumps(value: Any) -> str:
    """The compact JSON every frame is sent as."""
    return json.dumps(value, separators=(",", ":"))


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
    query = jsontext.loads(raw) if isinstance(raw, str) else raw
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

    def __post_init__(self) -> None:
        self.id_json = dumps(self.id)  # how this id is written into the subscriptions list of an event frame

    def accepts(self, payload: dict[str, Any]) -> bool:
        return not self.filters or all(f(payload) for f in self.filters)

    def to_json(self) -> dict[str, Any]:
        return {"subscriptionId": self.id, "channels": list(self.channels), "queries": list(self.queries)}


def url_subscription(channels: Iterable[str], user_id: str | None) -> Subscription:
    """The subscription the ``channels[]`` of the URL make (older clients), under a fresh id."""
    return Subscription(secrets.token_hex(10), convert_channels(channels, user_id))


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


def parse_unsubscribe(data: Any) -> list[str]:
    """``data``: a list of ``{subscriptionId}`` (or one). Raises ValueError."""
    items = data if isinstance(data, list) else [data]
    ids = [i.get("subscriptionId") for i in items if isinstance(i, dict)]
    if not ids or len(ids) != len(items) or not all(isinstance(i, str) for i in ids):
        raise ValueError("bad unsubscribe")
    return [str(i) for i in ids]


def event_head(data: dict[str, Any]) -> str:
    """An ``event`` frame serialised up to its ``subscriptions`` value, which differs per connection:
    ``event_head(data) + dumps(ids) + "}}"`` is ``dumps(frame("event", {**data, "subscriptions": ids}))``."""
    body = dumps(data)
    return '{"type":"event","data":' + body[:-1] + ',"subscriptions":'
