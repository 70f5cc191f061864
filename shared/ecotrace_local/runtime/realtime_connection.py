"""One realtime websocket as the hub sees it (the hub is ``realtime.py``): the caller, its subscriptions, and how its
frames get out.

A frame is the UTF-8 JSON of one text message, serialised once by the hub for all connections that receive the same
frame. The socket's server side may lend a :class:`FrameSink` that writes a frame straight to the socket's transport
(``http/ws_protocol.py``: the 2 to 10 header bytes of an unmasked text frame, then the frame as it is). With a sink,
a frame is written the moment it is queued when nothing waits before it and the transport takes more; otherwise (the
transport's buffer is full, or the server lent no sink) it waits in a bounded outbox that the socket's writer task
drains in order (``http/realtime.py``). A client whose outbox holds ``queue_limit`` frames is too slow: the next
frame is refused and the hub drops the client.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Protocol

from ..storage.access import Caller
from .realtime_messages import Subscription

QUEUE_LIMIT = 1000  # frames waiting for a slow client; one more and the client is dropped
CLOSE_NORMAL = 1000


class FrameSink(Protocol):
    """Writes whole text frames to one websocket's transport, past the ASGI send path."""

    def ready(self) -> bool:
        """The socket is open and its transport takes more bytes now."""
        ...

    def write(self, data: bytes) -> None:
        """Send ``data`` (UTF-8 JSON) as one text frame; only when :meth:`ready`."""
        ...

    async def writable(self) -> bool:
        """Wait until the transport takes more bytes; False once the socket is closing or gone."""
        ...


class Connection:
    """One websocket: the caller, its subscriptions (by id, in the order made) and its bounded outbox of frames (see
    the module docstring). Used on its loop only."""

    def __init__(self, loop: asyncio.AbstractEventLoop, caller: Caller, *, queue_limit: int = QUEUE_LIMIT) -> None:
        self.loop = loop
        self.caller = caller
        self.roles = caller.roles
        self.subscriptions: dict[str, Subscription] = {}
        self.queue_limit = queue_limit
        self.sink: FrameSink | None = None
        self.closed = False
        self.close_code = CLOSE_NORMAL
        self.close_reason = ""
        self._outbox: deque[bytes] = deque()
        self._ready = asyncio.Event()

    @property
    def queued(self) -> int:
        return len(self._outbox)

    def attach(self, sink: FrameSink) -> None:
        """Write frames through ``sink`` from now on (what is queued goes first, through the writer)."""
        self.sink = sink
        if self._outbox:
            self._ready.set()

    def send(self, data: bytes) -> bool:
        """Send or queue one frame and wake the writer if it waits; False (nothing sent) when closed or full."""
        if not self.queue(data):
            return False
        if self._outbox:
            self._ready.set()
        return True

    def queue(self, data: bytes) -> bool:
        """Write one frame now through the sink if nothing waits before it and the transport takes it, else queue it
        without waking the writer (:meth:`wake`, needed only when :attr:`queued`). False when closed or full."""
        if self.closed:
            return False
        if not self._outbox and self.sink is not None and self.sink.ready():
            self.sink.write(data)
            return True
        if len(self._outbox) >= self.queue_limit:
            return False
        self._outbox.append(data)
        return True

    def wake(self) -> None:
        self._ready.set()

    def close(self, code: int = CLOSE_NORMAL, reason: str = "", *, drop_queued: bool = False) -> None:
        """No more frames; the writer sends what is queued (nothing with ``drop_queued``), then closes with
        ``code``."""
        if self.closed:
            return
        self.closed = True
        self.close_code = code
        self.close_reason = reason
        if drop_queued:
            self._outbox.clear()
        self._ready.set()

    async def next_frame(self) -> bytes | None:
        """The next queued frame; None once the connection is closed and its outbox drained."""
        if not await self.pending():
            return None
        return self._outbox.popleft()

    async def pending(self) -> bool:
        """Wait until a frame is queued (True) or the connection is closed with nothing queued (False)."""
        while not self._outbox:
            if self.closed:
                return False
            self._ready.clear()
            await self._ready.wait()
        return True

    def flush(self) -> bool:
        """Write queued frames through the sink, in order, while it takes them; True when the outbox is empty."""
        sink = self.sink
        outbox = self._outbox
        assert sink is not None
        while outbox and sink.ready():
            sink.write(outbox.popleft())
        return not outbox
