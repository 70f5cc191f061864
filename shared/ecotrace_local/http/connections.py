"""How the stack's server treats connections: one uvicorn configuration for ``make dev`` and the tests alike
(:func:`server_config`), on an h11 protocol that bounds how long a client may take to send a request.

uvicorn times out only idle keep-alive connections (``timeout_keep_alive``), and any byte received cancels that
timer: a client that sends a request head one byte at a time, or a body that never ends, holds its connection (and
a slot of the server) for as long as it likes. :class:`BoundedH11Protocol` gives the head of each request
``HEAD_TIMEOUT_S`` from the moment the connection (or the previous response) was ready for it, and its body
``BODY_TIMEOUT_S`` from the end of the head, however slowly bytes keep coming; past that the connection is closed
(the app, if it was reading the body, sees the client disconnect). The head's size is bounded by h11
(``MAX_HEAD_BYTES``).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from .ws_protocol import FrameSinkProtocol

HEAD_TIMEOUT_S = 10.0  # the request line and headers
BODY_TIMEOUT_S = 60.0  # the body, once the head is in: 20 MiB (the largest the stack takes) at ~350 kB/s
MAX_HEAD_BYTES = 64 * 1024  # h11's bound on an incomplete head (its default is 16 KiB)
KEEP_ALIVE_S = 5  # an idle connection between requests (uvicorn's default)
GRACEFUL_SHUTDOWN_S = 5

log = logging.getLogger(__name__)


class BoundedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline on reading each request (see the module docstring)."""

    _deadline: asyncio.TimerHandle | None = None
    _phase: str | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._track()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._track()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._track()

    def handle_websocket_upgrade(self, event: h11.Request) -> None:
        self._set_phase(None)  # the websocket protocol owns the connection from here
        super().handle_websocket_upgrade(event)

    def connection_lost(self, exc: Exception | None) -> None:
        self._set_phase(None)
        super().connection_lost(exc)

    def _track(self) -> None:
        state = self.conn.their_state
        if state is h11.IDLE:
            self._set_phase("head")
        elif state is h11.SEND_BODY:
            self._set_phase("body")
        else:  # the request is in (DONE), or the connection is closing
            self._set_phase(None)

    def _set_phase(self, phase: str | None) -> None:
        if phase == self._phase:
            return  # a deadline runs from the start of its phase: more bytes do not extend it
        self._phase = phase
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        if phase is not None and self.transport is not None and not self.transport.is_closing():
            timeout = HEAD_TIMEOUT_S if phase == "head" else BODY_TIMEOUT_S
            self._deadline = self.loop.call_later(timeout, self._expire, phase)

    def _expire(self, phase: str) -> None:
        self._deadline = None
        if not self.transport.is_closing():
            limit = HEAD_TIMEOUT_S if phase == "head" else BODY_TIMEOUT_S
            log.debug("closing %s: its request %s was not complete within %.0f s", self.client, phase, limit)
            self.transport.close()


def server_config(app: Any, **options: Any) -> uvicorn.Config:
    """The uvicorn configuration every server of the stack runs with (``options`` override or add)."""
    settings: dict[str, Any] = {
        "http": BoundedH11Protocol,
        "ws": FrameSinkProtocol,  # uvicorn's websockets sans-I/O protocol, lending the hub a direct frame writer
        "log_level": "warning",
        # No permessage-deflate: the realtime hub serialises each event once for every subscriber, and
        # compressing it again per socket cost more than the rest of the fan-out (loopback has the bandwidth).
        "ws_per_message_deflate": False,
        "timeout_keep_alive": KEEP_ALIVE_S,
        "timeout_graceful_shutdown": GRACEFUL_SHUTDOWN_S,
        "h11_max_incomplete_event_size": MAX_HEAD_BYTES,
    }
    settings.update(options)
    return uvicorn.Config(app, **settings)
