"""The realtime websocket ``/v1/realtime`` (Appwrite 1.9.6's protocol; the hub and its messages are
``runtime/realtime.py``).

- ``?project=`` must name this project, else ``error`` 1008 and close 1008;
- ``?jwt=`` (or the ``x-appwrite-jwt`` header) authenticates as that user; a bad JWT -> ``error`` 401 and close;
  a session cookie on the upgrade and the ``authentication`` message sign a session user in (``realtime_auth.py``);
- ``channels[]`` in the URL subscribe at once (older clients); then the connection is the hub's until it closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets

from starlette.websockets import WebSocket, WebSocketDisconnect

from ..errors import AppwriteError
from ..runtime.realtime import (
    CLOSE_POLICY_VIOLATION,
    Connection,
    RealtimeHub,
    Subscription,
    convert_channels,
    error_frame,
    frame,
    handle_message,
)
from ..storage.users import Users
from .auth import Callers
from .realtime_auth import authenticate, caller_on_upgrade, user_json


async def realtime_socket(websocket: WebSocket, realtime: RealtimeHub, callers: Callers, users: Users) -> None:
    await websocket.accept()
    params = websocket.query_params
    if params.get("project") != callers.project_id:
        await websocket.send_json(error_frame(CLOSE_POLICY_VIOLATION, "Missing or unknown project ID"))
        await websocket.close(CLOSE_POLICY_VIOLATION)
        return
    try:
        caller = await asyncio.to_thread(caller_on_upgrade, callers, websocket.headers, params)
    except AppwriteError as exc:
        await websocket.send_json(error_frame(exc.status, exc.message))
        await websocket.close(CLOSE_POLICY_VIOLATION)
        return
    connection = Connection(asyncio.get_running_loop(), caller)
    url_channels = params.getlist("channels[]") or params.getlist("channels")
    if url_channels:
        sub = Subscription(secrets.token_hex(10), convert_channels(url_channels, caller.user_id))
        connection.subscriptions[sub.id] = sub
    # Registered before the connected frame goes out: events from then on queue up behind it, none is lost.
    realtime.add(connection)
    try:
        await websocket.send_json(
            frame(
                "connected",
                {
                    "channels": connection.all_channels(),
                    "subscriptions": list(connection.subscriptions),
                    "user": user_json(users, caller),
                },
            )
        )
    except (RuntimeError, WebSocketDisconnect):
        realtime.remove(connection)
        return
    writer = asyncio.create_task(_write(websocket, connection))
    try:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                break
            text = message.get("text")
            if text is None:
                raw = message.get("bytes") or b""
                text = raw.decode("utf-8", errors="replace")
            answer = None
            if '"authentication"' in text:  # sessions are read from SQLite: off the event loop
                answer = await asyncio.to_thread(authenticate, connection, text, callers, users)
            connection.push(answer if answer is not None else handle_message(connection, text))
    except WebSocketDisconnect:
        pass
    finally:
        connection.closed = True
        realtime.remove(connection)
        writer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await writer


async def _write(websocket: WebSocket, connection: Connection) -> None:
    while True:
        frame = await connection.queue.get()
        if frame is None:
            with contextlib.suppress(RuntimeError, WebSocketDisconnect):
                await websocket.close()
            return
        try:
            await websocket.send_text(json.dumps(frame, separators=(",", ":")))
        except (RuntimeError, WebSocketDisconnect):
            return
