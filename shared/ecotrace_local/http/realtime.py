"""The realtime websocket ``/v1/realtime`` (Appwrite 1.9.6's protocol; the hub is ``runtime/realtime.py``, the
frames and client messages ``runtime/realtime_messages.py``).

- ``?project=`` must name this project, else ``error`` 1008 and close 1008;
- ``?jwt=`` (or the ``x-appwrite-jwt`` header) authenticates as that user; a bad JWT -> ``error`` 401 and close;
  a session cookie on the upgrade and the ``authentication`` message sign a session user in (``realtime_auth.py``);
- ``channels[]`` in the URL subscribe at once (older clients); then the connection is the hub's until it closes;
- the hub writes frames straight to the socket's transport through the sink the server lends (``ws_protocol.py``);
  one writer task per socket sends what had to wait (the transport was full) in order, through the sink or, on a
  server without one, through ASGI; when the hub drops a client that cannot keep up, the writer closes the socket
  with the hub's code (1013) once the socket can take the close.
"""

from __future__ import annotations

import asyncio
import contextlib

from starlette.websockets import WebSocket, WebSocketDisconnect

from ..errors import AppwriteError
from ..runtime.realtime import (
    CLOSE_POLICY_VIOLATION,
    Connection,
    RealtimeHub,
    error_frame,
    frame,
    url_subscription,
)
from ..storage.users import Users
from .auth import Callers
from .realtime_auth import authenticate, caller_on_upgrade, user_json
from .ws_protocol import frame_sink


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
    connection = realtime.new_connection(caller)
    url_channels = params.getlist("channels[]") or params.getlist("channels")
    subscriptions = [url_subscription(url_channels, caller.user_id)] if url_channels else []
    # Registered before the connected frame goes out: events from then on queue up behind it, none is lost.
    realtime.add(connection, subscriptions)
    try:
        await websocket.send_json(
            frame(
                "connected",
                {
                    "channels": list(dict.fromkeys(c for s in subscriptions for c in s.channels)),
                    "subscriptions": [s.id for s in subscriptions],
                    "user": user_json(users, caller),
                },
            )
        )
    except (RuntimeError, WebSocketDisconnect):
        realtime.remove(connection)
        return
    sink = frame_sink(websocket.scope)
    if sink is not None:
        connection.attach(sink)
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
            signed_in = None
            if '"authentication"' in text:  # sessions are read from SQLite: off the event loop
                signed_in = await asyncio.to_thread(authenticate, text, callers, users)
            if signed_in is None:
                realtime.reply(connection, realtime.handle(connection, text))
            else:
                session_caller, answer = signed_in
                if session_caller is not None:
                    realtime.sign_in(connection, session_caller)
                realtime.reply(connection, answer)
    except WebSocketDisconnect:
        pass
    finally:
        realtime.remove(connection)
        connection.close()
        writer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await writer


async def _write(websocket: WebSocket, connection: Connection) -> None:
    """Send the frames that had to wait, in order, until the connection closes; then close the socket."""
    while await connection.pending():
        sink = connection.sink
        if sink is not None:
            if not await sink.writable():
                return  # the socket is closing or gone
            connection.flush()
            continue
        data = await connection.next_frame()
        if data is None:
            break
        try:
            await websocket.send_text(data.decode())
        except (RuntimeError, WebSocketDisconnect):
            return
    with contextlib.suppress(RuntimeError, WebSocketDisconnect):
        await websocket.close(connection.close_code, connection.close_reason)
