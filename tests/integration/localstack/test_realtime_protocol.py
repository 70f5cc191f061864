"""The realtime websocket speaks Appwrite's protocol: connect, subscribe, ping, errors (real ``websockets`` client)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest
import websockets

from ecotrace_local.testing import StackHandle
from tests.integration.localstack.fn_samples import sample_stack


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackHandle]:
    with sample_stack(tmp_path_factory.mktemp("rtproto")) as handle:
        yield handle


def _url(stack: StackHandle, query: str) -> str:
    return f"ws://127.0.0.1:{stack.stack.config.port}/v1/realtime?{query}"


async def _recv(ws: Any) -> dict[str, Any]:
    frame: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), timeout=10))
    return frame


def test_unknown_project_gets_error_1008_and_is_closed(stack: StackHandle) -> None:
    async def scenario() -> None:
        async with websockets.connect(_url(stack, "project=someone-else&channels[]=rows")) as ws:
            assert await _recv(ws) == {
                "type": "error",
                "data": {"code": 1008, "message": "Missing or unknown project ID"},
            }
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await _recv(ws)
            assert closed.value.rcvd is not None
            assert closed.value.rcvd.code == 1008

    asyncio.run(scenario())


def test_a_bad_jwt_is_refused_with_401_and_closed(stack: StackHandle) -> None:
    async def scenario() -> None:
        async with websockets.connect(_url(stack, f"project={stack.project_id}&jwt=not.a.jwt")) as ws:
            frame = await _recv(ws)
            assert frame["type"] == "error"
            assert frame["data"]["code"] == 401
            assert frame["data"]["message"].startswith("Failed to verify JWT. Invalid token:")
            with pytest.raises(websockets.ConnectionClosed):
                await _recv(ws)

    asyncio.run(scenario())


def test_connected_frame_lists_url_channels_and_the_signed_in_user(stack: StackHandle) -> None:
    token = stack.user_jwt("lin")

    async def scenario() -> None:
        query = f"project={stack.project_id}&jwt={token}&channels[]=rows&channels[]=account"
        async with websockets.connect(_url(stack, query)) as ws:
            connected = await _recv(ws)
            assert connected["type"] == "connected"
            assert connected["data"]["channels"] == ["rows", "account", "account.lin"]
            assert len(connected["data"]["subscriptions"]) == 1
            assert connected["data"]["user"]["$id"] == "lin"

    asyncio.run(scenario())


def test_guest_without_channels_then_subscribe_unsubscribe_and_ping(stack: StackHandle) -> None:
    async def scenario() -> None:
        async with websockets.connect(_url(stack, f"project={stack.project_id}")) as ws:
            assert await _recv(ws) == {"type": "connected", "data": {"channels": [], "subscriptions": [], "user": None}}
            await ws.send(json.dumps({"type": "subscribe", "data": [{"subscriptionId": "s1", "channels": ["rows"]}]}))
            assert await _recv(ws) == {
                "type": "response",
                "data": {
                    "to": "subscribe",
                    "success": True,
                    "subscriptions": [{"subscriptionId": "s1", "channels": ["rows"], "queries": []}],
                },
            }
            await ws.send(json.dumps({"type": "ping"}))
            assert await _recv(ws) == {"type": "pong"}
            await ws.send(
                json.dumps({"type": "unsubscribe", "data": [{"subscriptionId": "s1"}, {"subscriptionId": "x"}]})
            )
            assert (await _recv(ws))["data"] == {
                "to": "unsubscribe",
                "success": True,
                "subscriptions": [{"subscriptionId": "s1", "removed": True}, {"subscriptionId": "x", "removed": False}],
            }

    asyncio.run(scenario())


@pytest.mark.parametrize(
    "message",
    [
        "not json",
        "[1, 2]",
        json.dumps({"type": "dance"}),
        json.dumps({"type": "subscribe", "data": [{"channels": []}]}),
        json.dumps({"type": "subscribe", "data": [{"channels": "rows"}]}),
        json.dumps({"type": "unsubscribe", "data": [{}]}),
        json.dumps({"type": "subscribe", "data": [{"channels": ["rows"], "queries": ['{"method":"search"}']}]}),
        json.dumps({"type": "subscribe", "data": [{"channels": ["rows"], "queries": ["not json"]}]}),
        "[" * 50_000,  # nested past any parser's depth, inside the 64 KiB message limit
        json.dumps({"type": "subscribe", "data": [{"channels": ["rows"], "queries": ["[" * 20_000]}]}),
        '{"type": "authentication", "data": ' + "[" * 50_000,
        json.dumps({"type": "subscribe", "data": [{"channels": ["rows"], "queries": ["[" * 30_000 + "]" * 30_000]}]}),
    ],
    ids=lambda m: m[:40],
)
def test_a_bad_message_gets_error_1003_and_the_socket_stays_open(stack: StackHandle, message: str) -> None:
    async def scenario() -> None:
        async with websockets.connect(_url(stack, f"project={stack.project_id}")) as ws:
            await _recv(ws)
            await ws.send(message)
            assert await _recv(ws) == {
                "type": "error",
                "data": {"code": 1003, "message": "Message format is not valid."},
            }
            await ws.send(json.dumps({"type": "ping"}))
            assert await _recv(ws) == {"type": "pong"}

    asyncio.run(scenario())
