"""Row writes reach realtime subscribers on matching channels, and only those whose roles may read the row.

"Did NOT receive" is checked without waiting on the clock: after the private write, a public write follows on
the same channel, and a connection's frames arrive in write order, so a non-permitted subscriber's next frame
must be the public row.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import websockets
from appwrite.query import Query
from appwrite.services.functions import Functions
from appwrite.services.tables_db import TablesDB

from ecotrace_local.runtime import realtime_fanout
from ecotrace_local.testing import StackHandle
from tests.integration.localstack.fn_samples import DB, sample_stack

NOTES = f"databases.{DB}.tables.notes.rows"


@pytest.fixture
def stack(tmp_path: Any) -> Iterator[StackHandle]:
    with sample_stack(tmp_path) as handle:
        yield handle


def _url(stack: StackHandle, query: str) -> str:
    return f"ws://127.0.0.1:{stack.stack.config.port}/v1/realtime?project={stack.project_id}&{query}"


async def _recv(ws: Any) -> dict[str, Any]:
    frame: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), timeout=10))
    return frame


async def _subscribe(ws: Any, sub_id: str, channels: list[str]) -> None:
    await _recv(ws)  # connected
    await ws.send(json.dumps({"type": "subscribe", "data": [{"subscriptionId": sub_id, "channels": channels}]}))
    assert (await _recv(ws))["type"] == "response"


def _write_note(stack: StackHandle, row_id: str, permissions: list[str], text: str | None = None) -> None:
    TablesDB(stack.client()).create_row(DB, "notes", row_id, {"text": text or row_id}, permissions=permissions)


def test_only_subscribers_allowed_to_read_the_row_receive_it(stack: StackHandle) -> None:
    alice, bob = stack.user_jwt("alice"), stack.user_jwt("bob")

    async def scenario() -> None:
        async with (
            websockets.connect(_url(stack, f"jwt={alice}")) as alice_ws,
            websockets.connect(_url(stack, f"jwt={bob}")) as bob_ws,
            websockets.connect(_url(stack, "")) as guest_ws,
        ):
            for ws in (alice_ws, bob_ws, guest_ws):
                await _subscribe(ws, "notes", [NOTES])
            await asyncio.to_thread(_write_note, stack, "private", ['read("user:alice")'])
            await asyncio.to_thread(_write_note, stack, "public", ['read("any")'])

            first = await _recv(alice_ws)
            assert first["type"] == "event"
            assert first["data"]["payload"]["$id"] == "private"
            assert first["data"]["subscriptions"] == ["notes"]
            assert f"tablesdb.{DB}.tables.notes.rows.private.create" == first["data"]["events"][0]
            assert f"{NOTES}.private.create" in first["data"]["channels"]
            assert (await _recv(alice_ws))["data"]["payload"]["$id"] == "public"
            for other in (bob_ws, guest_ws):
                assert (await _recv(other))["data"]["payload"]["$id"] == "public"

    asyncio.run(scenario())


def test_url_channels_and_action_channels_match_the_right_writes(stack: StackHandle) -> None:
    async def scenario() -> None:
        async with (
            websockets.connect(_url(stack, "channels[]=documents")) as legacy_ws,
            websockets.connect(_url(stack, "")) as updates_ws,
        ):
            connected = await _recv(legacy_ws)
            (legacy_sub,) = connected["data"]["subscriptions"]
            await _subscribe(updates_ws, "upd", [f"tablesdb.{DB}.tables.notes.rows.n1.update"])
            tables = TablesDB(stack.client())
            await asyncio.to_thread(tables.create_row, DB, "notes", "n1", {"text": "a"}, ['read("any")'])
            await asyncio.to_thread(tables.update_row, DB, "notes", "n1", {"text": "b"})

            created = await _recv(legacy_ws)
            assert created["data"]["subscriptions"] == [legacy_sub]
            assert created["data"]["payload"]["text"] == "a"
            assert (await _recv(legacy_ws))["data"]["payload"]["text"] == "b"
            # The update-only subscriber skipped the create.
            updated = await _recv(updates_ws)
            assert updated["data"]["payload"]["text"] == "b"
            assert f"tablesdb.{DB}.tables.notes.rows.n1.update" in updated["data"]["events"]

    asyncio.run(scenario())


def test_unsubscribed_channels_stop_delivering(stack: StackHandle) -> None:
    async def scenario() -> None:
        async with websockets.connect(_url(stack, "")) as ws:
            await _recv(ws)
            await ws.send(
                json.dumps(
                    {
                        "type": "subscribe",
                        "data": [
                            {"subscriptionId": "one", "channels": [f"{NOTES}.first"]},
                            {"subscriptionId": "two", "channels": [f"{NOTES}.second"]},
                        ],
                    }
                )
            )
            await _recv(ws)
            await ws.send(json.dumps({"type": "unsubscribe", "data": [{"subscriptionId": "one"}]}))
            await _recv(ws)
            await asyncio.to_thread(_write_note, stack, "first", ['read("any")'])
            await asyncio.to_thread(_write_note, stack, "second", ['read("any")'])
            frame = await _recv(ws)
            assert frame["data"]["payload"]["$id"] == "second"
            assert frame["data"]["subscriptions"] == ["two"]

    asyncio.run(scenario())


def test_a_finished_execution_is_published_to_the_user_who_ran_it(stack: StackHandle) -> None:
    token = stack.user_jwt("runner")

    async def scenario() -> None:
        async with websockets.connect(_url(stack, f"jwt={token}&channels[]=functions.echo")) as ws:
            await _recv(ws)
            execution = await asyncio.to_thread(Functions(stack.user_client("runner")).create_execution, "echo")
            frame = await _recv(ws)
            assert frame["data"]["payload"]["$id"] == execution.id
            assert frame["data"]["payload"]["status"] == "completed"
            assert f"functions.echo.executions.{execution.id}.update" in frame["data"]["events"]

    asyncio.run(scenario())


def test_subscription_queries_narrow_what_is_delivered(stack: StackHandle) -> None:
    async def scenario() -> None:
        async with websockets.connect(_url(stack, "")) as ws:
            await _recv(ws)
            only_b = [Query.equal("text", ["b"])]
            subscription = {"subscriptionId": "q", "channels": [NOTES], "queries": only_b}
            await ws.send(json.dumps({"type": "subscribe", "data": [subscription]}))
            assert (await _recv(ws))["data"]["subscriptions"][0]["queries"] == only_b
            tables = TablesDB(stack.client())
            for row_id, text in (("x1", "a"), ("x2", "b")):
                await asyncio.to_thread(tables.create_row, DB, "notes", row_id, {"text": text}, ['read("any")'])
            frame = await _recv(ws)
            assert frame["data"]["payload"]["$id"] == "x2"

    asyncio.run(scenario())


def test_a_client_that_cannot_keep_up_is_closed_with_1013_and_the_others_keep_receiving(stack: StackHandle) -> None:
    hub = stack.stack.realtime
    default_limit = hub.queue_limit
    port = stack.stack.config.port

    async def scenario() -> None:
        # A client that stops reading: a small receive buffer, and its library reads nothing more once one message
        # waits for it. Its socket fills, then the server's transport, then the hub's outbox for it (5 frames here).
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect(("127.0.0.1", port))
        hub.queue_limit = 5
        async with websockets.connect(_url(stack, f"channels[]={NOTES}"), sock=sock, max_queue=1) as slow_ws:
            await _recv(slow_ws)
            hub.queue_limit = default_limit
            async with websockets.connect(_url(stack, f"channels[]={NOTES}")) as ok_ws:
                await _recv(ok_ws)
                written = 0
                while hub.counts()["dropped"] == 0 and written < 3000:
                    await asyncio.to_thread(_write_note, stack, f"n{written}", ['read("any")'], "x" * 250)
                    assert (await _recv(ok_ws))["data"]["payload"]["$id"] == f"n{written}"  # it keeps up
                    written += 1
                assert hub.counts()["dropped"] == 1, f"still connected after {written} frames"
                with pytest.raises(websockets.ConnectionClosed) as closed:
                    for _ in range(written + 1):  # what its socket had taken, then the close
                        await _recv(slow_ws)
                assert closed.value.rcvd is not None
                assert closed.value.rcvd.code == 1013
                assert "too slow" in closed.value.rcvd.reason
                await asyncio.to_thread(_write_note, stack, "after", ['read("any")'])
                assert (await _recv(ok_ws))["data"]["payload"]["$id"] == "after"
                stats = await asyncio.to_thread(_realtime_stats, stack)
                assert stats["connections"] == 1
                assert stats["dropped"] == 1
                assert stats["channels"] == {NOTES: 1}

    try:
        asyncio.run(scenario())
    finally:
        hub.queue_limit = default_limit


def test_with_the_fan_out_in_many_slices_every_subscriber_gets_each_write_once_in_order(
    stack: StackHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(realtime_fanout, "FANOUT_SLICE_S", -1.0)  # 8 sockets per loop turn
    writes = ["n0", "n1", "n2", "n3", "end"]

    async def scenario() -> None:
        sockets = [await websockets.connect(_url(stack, f"channels[]={NOTES}")) for _ in range(30)]
        try:
            subs = [(await _recv(ws))["data"]["subscriptions"] for ws in sockets]
            for row_id in writes:  # written back to back: later fan-outs queue behind earlier ones
                await asyncio.to_thread(_write_note, stack, row_id, ['read("any")'], f"text of {row_id}")
            for ws, sub in zip(sockets, subs, strict=True):
                frames = [(await _recv(ws))["data"] for _ in writes]
                assert [f["payload"]["$id"] for f in frames] == writes  # "end" last: nothing doubled before it
                for frame in frames:
                    assert frame["payload"]["text"] == f"text of {frame['payload']['$id']}"
                    assert f"{NOTES}.{frame['payload']['$id']}.create" in frame["channels"]
                    assert frame["subscriptions"] == sub
        finally:
            for ws in sockets:
                await ws.close()

    asyncio.run(scenario())


def _realtime_stats(stack: StackHandle) -> dict[str, Any]:
    headers = {"x-appwrite-project": stack.project_id, "x-appwrite-key": stack.api_key}
    response = httpx.get(f"{stack.endpoint}/_local/realtime", headers=headers, timeout=10)
    assert response.status_code == 200
    data: dict[str, Any] = response.json()
    return data


def test_realtime_counts_are_for_keys_only(stack: StackHandle) -> None:
    response = httpx.get(f"{stack.endpoint}/_local/realtime", headers={"x-appwrite-project": stack.project_id})
    assert response.status_code == 401
