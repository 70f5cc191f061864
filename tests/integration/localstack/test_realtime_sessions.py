"""Realtime for session users: the cookie on the upgrade, the web SDK's ``authentication`` message, and the same
events as the same user holding a JWT (Appwrite 1.9.6 ``connection.php``, ``Handlers/Authentication.php``)."""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import quote

import httpx
import websockets
from appwrite.services.tables_db import TablesDB

from ecotrace_local.testing import StackHandle
from tests.integration.localstack.ls_support import DB

PASSWORD = "correct horse battery"
CHANNEL = f"databases.{DB}.tables.notes.rows"


def signed_in(stack: StackHandle, email: str) -> tuple[str, str]:
    """``(userId, session credential)`` of a new e-mail user."""
    headers = {"x-appwrite-project": stack.project_id}
    with httpx.Client(base_url=stack.endpoint, headers=headers, timeout=10) as client:
        user_id = client.post("/account", json={"userId": "unique()", "email": email, "password": PASSWORD}).json()
        response = client.post("/account/sessions/email", json={"email": email, "password": PASSWORD})
        return str(user_id["$id"]), str(json.loads(response.headers["x-fallback-cookies"])["a_session_ecotrace"])


def url(stack: StackHandle, query: str = "") -> str:
    return f"ws://127.0.0.1:{stack.stack.config.port}/v1/realtime?project={stack.project_id}{query}"


async def recv(ws: Any) -> dict[str, Any]:
    frame: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), timeout=10))
    return frame


async def subscribe(ws: Any, sub_id: str, channels: list[str]) -> dict[str, Any]:
    await ws.send(json.dumps({"type": "subscribe", "data": [{"subscriptionId": sub_id, "channels": channels}]}))
    return await recv(ws)


def test_the_authentication_message_signs_the_connection_in(stack: StackHandle) -> None:
    user_id, credential = signed_in(stack, "ada@example.com")

    async def scenario() -> None:
        async with websockets.connect(url(stack)) as ws:
            assert (await recv(ws))["data"]["user"] is None
            await ws.send(json.dumps({"type": "authentication", "data": {"session": "bm90IGEgc2Vzc2lvbg=="}}))
            assert await recv(ws) == {"type": "error", "data": {"code": 1003, "message": "Session is not valid."}}
            await ws.send(json.dumps({"type": "authentication", "data": {"session": credential}}))
            answer = await recv(ws)
            assert answer["type"] == "response"
            assert (answer["data"]["to"], answer["data"]["success"]) == ("authentication", True)
            assert answer["data"]["user"]["$id"] == user_id
            subscribed = await subscribe(ws, "s1", ["account", CHANNEL])
            assert subscribed["data"]["subscriptions"][0]["channels"] == ["account", f"account.{user_id}", CHANNEL]

    asyncio.run(scenario())


def test_the_session_cookie_on_the_upgrade_signs_the_connection_in(stack: StackHandle) -> None:
    user_id, credential = signed_in(stack, "bea@example.com")

    async def scenario() -> None:
        cookie = {"cookie": f"a_session_ecotrace_legacy={quote(credential, safe='')}"}
        async with websockets.connect(url(stack), additional_headers=cookie) as ws:
            assert (await recv(ws))["data"]["user"]["$id"] == user_id

    asyncio.run(scenario())


def test_a_session_user_gets_exactly_the_events_the_same_user_gets_with_a_jwt(stack: StackHandle) -> None:
    user_id, credential = signed_in(stack, "cy@example.com")
    other_id, _ = signed_in(stack, "dee@example.com")
    token = httpx.post(
        f"{stack.endpoint}/account/jwts", headers={"x-appwrite-project": "ecotrace", "x-appwrite-session": credential}
    ).json()["jwt"]
    tables = TablesDB(stack.client())

    async def scenario() -> tuple[list[str], list[str]]:
        jwt_url = url(stack, f"&jwt={token}")
        async with websockets.connect(url(stack)) as by_session, websockets.connect(jwt_url) as by_jwt:
            await recv(by_session)
            assert (await recv(by_jwt))["data"]["user"]["$id"] == user_id
            await by_session.send(json.dumps({"type": "authentication", "data": {"session": credential}}))
            await recv(by_session)
            for ws in (by_session, by_jwt):
                await subscribe(ws, "s", [CHANNEL])
            for row_id, owner in (("n-mine", user_id), ("n-other", other_id), ("n-mine-2", user_id)):
                await asyncio.to_thread(
                    tables.create_row, DB, "notes", row_id, {"title": row_id}, [f'read("user:{owner}")']
                )
            seen: list[list[str]] = [[], []]
            for index, ws in enumerate((by_session, by_jwt)):
                while len(seen[index]) < 2:
                    frame = await recv(ws)
                    if frame["type"] == "event":
                        seen[index].append(frame["data"]["payload"]["$id"])
            return seen[0], seen[1]

    session_saw, jwt_saw = asyncio.run(scenario())
    assert session_saw == jwt_saw == ["n-mine", "n-mine-2"]
