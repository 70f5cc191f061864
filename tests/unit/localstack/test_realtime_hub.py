"""The realtime hub off the write path: the committing thread only hands the event to the loop, each event is
serialised once for all connections that see the same frame, a client that cannot keep up is dropped alone, and
the hub counts its subscribers per channel."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from ecotrace_local.events import EventBus, RowEvent
from ecotrace_local.runtime import realtime_fanout
from ecotrace_local.runtime.realtime import CLOSE_TOO_SLOW, Connection, RealtimeHub, Subscription
from ecotrace_local.storage.access import GUEST, caller_for_user

CHANNEL = "databases.db.tables.notes.rows"


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


def _event(row_id: str, roles: set[str], **values: Any) -> RowEvent:
    row = {"$id": row_id, "$tableId": "notes", "$databaseId": "db", "$permissions": [], **values}
    return RowEvent("db", "notes", row_id, "create", row, frozenset(roles), datetime(2026, 3, 1, 12, tzinfo=UTC))


def _drain(connection: Connection) -> list[bytes]:
    frames = []
    while connection.queued:
        frames.append(connection._outbox.popleft())
    return frames


def _settle(loop: asyncio.AbstractEventLoop) -> None:
    loop.run_until_complete(asyncio.sleep(0))


def _hub(bus: EventBus, **kwargs: Any) -> RealtimeHub:
    hub = RealtimeHub(bus, **kwargs)
    hub.start()
    return hub


def test_the_committing_thread_only_hands_the_event_to_the_loop(loop: asyncio.AbstractEventLoop) -> None:
    bus = EventBus()
    hub = _hub(bus)
    connection = Connection(loop, GUEST)
    hub.add(connection, [Subscription("s1", [CHANNEL])])

    bus.publish(_event("r1", {"any"}, text="hi"))  # this thread commits; the loop is not running
    assert connection.queued == 0
    _settle(loop)

    (text,) = _drain(connection)
    frame = json.loads(text)
    assert frame["type"] == "event"
    assert frame["data"]["subscriptions"] == ["s1"]
    assert frame["data"]["payload"]["text"] == "hi"
    assert frame["data"]["timestamp"] == "2026-03-01T12:00:00.000+00:00"
    assert f"{CHANNEL}.r1.create" in frame["data"]["channels"]
    assert frame["data"]["events"][0] == "tablesdb.db.tables.notes.rows.r1.create"
    # the same compact JSON the web SDK parsed before: data keys in order, subscriptions last
    assert list(frame["data"]) == ["events", "channels", "timestamp", "payload", "subscriptions"]
    assert text == json.dumps(frame, separators=(",", ":")).encode()


def test_one_serialisation_per_distinct_frame_and_roles_checked(loop: asyncio.AbstractEventLoop) -> None:
    bus = EventBus()
    hub = _hub(bus)
    guests = [Connection(loop, GUEST) for _ in range(20)]
    alice = Connection(loop, caller_for_user({"$id": "alice"}))
    for connection in guests:
        hub.add(connection, [Subscription("dash", [CHANNEL])])
    hub.add(alice, [Subscription("mine", [CHANNEL]), Subscription("all", ["rows"])])

    bus.publish(_event("public", {"any"}))
    bus.publish(_event("private", {"user:alice"}))
    _settle(loop)

    guest_frames = [_drain(c) for c in guests]
    assert all(len(frames) == 1 for frames in guest_frames)  # the private row reached no guest
    assert all(frames[0] is guest_frames[0][0] for frames in guest_frames)  # one string, serialised once
    public, private = (json.loads(t) for t in _drain(alice))
    assert public["data"]["payload"]["$id"] == "public"
    assert public["data"]["subscriptions"] == ["mine", "all"]  # in the order subscribed
    assert private["data"]["payload"]["$id"] == "private"


def test_subscription_queries_narrow_each_connection(loop: asyncio.AbstractEventLoop) -> None:
    bus = EventBus()
    hub = _hub(bus)
    connection = Connection(loop, GUEST)
    hub.add(connection)
    answer = hub.handle(
        connection,
        json.dumps(
            {
                "type": "subscribe",
                "data": [
                    {"subscriptionId": "big", "channels": [CHANNEL], "queries": ['{"method":"greaterThan",'
                     '"attribute":"n","values":[10]}']},
                    {"subscriptionId": "every", "channels": [CHANNEL]},
                ],
            }
        ),
    )  # fmt: skip
    assert answer["data"]["success"] is True
    bus.publish(_event("small", {"any"}, n=1))
    bus.publish(_event("large", {"any"}, n=50))
    _settle(loop)
    small, large = (json.loads(t)["data"]["subscriptions"] for t in _drain(connection))
    assert small == ["every"]
    assert large == ["big", "every"]


def test_a_client_that_cannot_keep_up_is_dropped_alone(loop: asyncio.AbstractEventLoop) -> None:
    bus = EventBus()
    hub = _hub(bus, queue_limit=3)
    slow, fast = Connection(loop, GUEST, queue_limit=3), Connection(loop, GUEST, queue_limit=3)
    hub.add(slow, [Subscription("s", [CHANNEL])])
    hub.add(fast, [Subscription("f", [CHANNEL])])

    received = []
    for i in range(6):
        bus.publish(_event(f"r{i}", {"any"}))
        _settle(loop)
        received.extend(json.loads(t)["data"]["payload"]["$id"] for t in _drain(fast))  # fast reads each frame

    assert received == [f"r{i}" for i in range(6)]
    assert slow.closed
    assert slow.close_code == CLOSE_TOO_SLOW
    assert "too slow" in slow.close_reason
    assert slow.queued == 0  # its backlog is dropped with it
    assert loop.run_until_complete(slow.next_frame()) is None  # the writer closes the socket next
    stats = hub.counts()
    assert stats["connections"] == 1
    assert stats["dropped"] == 1
    assert stats["channels"] == {CHANNEL: 1}


def test_counts_of_subscribers_per_channel(loop: asyncio.AbstractEventLoop) -> None:
    hub = _hub(EventBus())
    first, second = Connection(loop, GUEST), Connection(loop, GUEST)
    hub.add(first, [Subscription("a", ["rows", CHANNEL])])
    hub.add(second, [Subscription("b", ["rows"])])
    hub.subscribe(second, [Subscription("c", ["rows", "executions"])])  # a second subscription on "rows"
    assert hub.counts() == {
        "connections": 2,
        "subscriptions": 3,
        "channels": {CHANNEL: 1, "executions": 1, "rows": 2},
        "dropped": 0,
    }
    assert hub.unsubscribe(second, ["c", "missing"]) == [True, False]
    hub.remove(first)
    assert hub.counts() == {"connections": 1, "subscriptions": 1, "channels": {"rows": 1}, "dropped": 0}
    hub.remove(second)
    assert hub.counts()["channels"] == {}


def test_a_subscription_id_given_again_replaces_the_earlier_one(loop: asyncio.AbstractEventLoop) -> None:
    bus = EventBus()
    hub = _hub(bus)
    connection = Connection(loop, GUEST)
    hub.add(connection, [Subscription("s", ["functions.other"])])
    hub.subscribe(connection, [Subscription("s", [CHANNEL])])
    assert hub.counts()["channels"] == {CHANNEL: 1}
    bus.publish(_event("r1", {"any"}))
    _settle(loop)
    assert [json.loads(t)["data"]["subscriptions"] for t in _drain(connection)] == [["s"]]


def _run_until_idle(loop: asyncio.AbstractEventLoop, turns: int = 200) -> None:
    for _ in range(turns):  # a fan-out takes a loop turn per slice
        _settle(loop)


def test_a_fan_out_in_slices_reaches_everyone_once_and_a_later_event_never_overtakes_it(
    loop: asyncio.AbstractEventLoop, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(realtime_fanout, "FANOUT_SLICE_S", -1.0)  # every look at the clock ends the slice
    bus = EventBus()
    hub = _hub(bus)
    others = "databases.db.tables.other.rows"
    connections = [Connection(loop, GUEST) for _ in range(40)]
    for connection in connections:
        hub.add(connection, [Subscription("notes", [CHANNEL])])
    late = connections[-5:]  # last in the notes fan-out, alone in the other table's
    for connection in late:
        hub.subscribe(connection, [Subscription("other", [others])])

    bus.publish(_event("n1", {"any"}, text="first"))
    bus.publish(RowEvent("db", "other", "o1", "create", {"$id": "o1"}, frozenset({"any"}), datetime.now(UTC)))
    bus.publish(_event("n2", {"any"}, text="second"))
    _settle(loop)
    assert sum(c.queued for c in connections) < 40  # the first event is still on its way after one loop turn
    _run_until_idle(loop)

    for connection in connections:
        frames = [json.loads(t)["data"] for t in _drain(connection)]
        ids = [f["payload"]["$id"] for f in frames]
        assert ids == (["n1", "o1", "n2"] if connection in late else ["n1", "n2"])  # commit order, once each
        for frame in frames:
            table = "other" if frame["payload"]["$id"] == "o1" else "notes"
            assert frame["subscriptions"] == (["other"] if table == "other" else ["notes"])
            assert f"databases.db.tables.{table}.rows.{frame['payload']['$id']}" in frame["channels"]
        assert [f["payload"].get("text") for f in frames if f["payload"]["$id"] != "o1"] == ["first", "second"]
