"""The fan-out of one event to the connections of one event loop (the hub, ``realtime.py``, matches the event to
them by channel and hands over the list).

A fan-out serves connections for at most :data:`FANOUT_SLICE_S` of one loop turn (and at most :data:`FANOUT_BATCH`
of them), then yields: the loop runs whatever else is ready (the write's own HTTP response, new requests) and a
thread waiting for the GIL (the one that committed the write) gets it. A frame costs the stack ~40 us of CPU per
socket on the 2-core bench machine (BENCHMARKS.md, realtime), most of it the kernel's send, so a fixed count of 256
sockets per turn held the write's own response, two or three turns behind the fan-out, for 20-70 ms; a time slice
does not.

The fan-outs of one loop run one at a time, in the order their events were committed (:class:`FanOutQueue`): a
later event never overtakes an earlier one at any connection, however the slices fall.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from .realtime_connection import Connection
from .realtime_messages import may_receive

logger = logging.getLogger(__name__)

FANOUT_SLICE_S = 0.001
FANOUT_BATCH = 256
_CLOCK_EVERY = 8  # connections served between two looks at the clock


class FanOut:
    """One event on its way to the connections of one loop that subscribed to it, a slice of them per loop turn:
    the frame bytes are built once per distinct ``subscriptions`` list (one for every connection that subscribed the
    same way), each connection's roles are checked once per distinct role set, and each frame goes straight to the
    connection's transport where it takes it (:meth:`Connection.queue`). A connection whose outbox is full is handed
    to ``drop``."""

    def __init__(
        self,
        roles: frozenset[str],
        payload: dict[str, Any],
        head: bytes,
        targets: list[tuple[Connection, set[str]]],
        drop: Callable[[Connection], None],
    ) -> None:
        self.roles, self.payload, self.head, self.targets, self.drop = roles, payload, head, targets, drop
        self.allowed: dict[frozenset[str], bool] = {}
        self.frames: dict[str, bytes] = {}

    def serve(self, start: int) -> int:
        """Serve the connections from ``start`` for one slice; the position to go on from (``len(targets)``: done)."""
        deadline = time.perf_counter() + FANOUT_SLICE_S
        targets = self.targets
        end = min(start + FANOUT_BATCH, len(targets))
        payload, allowed, frames = self.payload, self.allowed, self.frames
        too_slow: list[Connection] = []
        position = start
        while position < end:
            connection, ids = targets[position]
            position += 1
            if position % _CLOCK_EVERY == 0 and time.perf_counter() > deadline:
                end = position
            if connection.closed:
                continue
            permitted = allowed.get(connection.roles)
            if permitted is None:
                permitted = allowed[connection.roles] = may_receive(connection.roles, self.roles)
            if not permitted:
                continue
            subs = connection.subscriptions
            if len(ids) == 1:
                (sub_id,) = ids
                sub = subs.get(sub_id)  # None: unsubscribed since the event was matched (an earlier loop turn)
                names = sub.id_json if sub is not None and sub.accepts(payload) else ""
            else:  # in the order subscribed
                names = ",".join(s.id_json for i, s in subs.items() if i in ids and s.accepts(payload))
            if not names:
                continue
            frame_bytes = frames.get(names)
            if frame_bytes is None:
                frame_bytes = frames[names] = self.head + b"[" + names.encode() + b"]}}"
            if connection.queue(frame_bytes):
                if connection.queued:
                    connection.wake()
            elif not connection.closed:
                too_slow.append(connection)
        for connection in too_slow:
            self.drop(connection)
        return end


class FanOutQueue:
    """The fan-outs of one event loop, run one at a time in the order added, a slice per loop turn. Used on that
    loop only."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self._waiting: deque[FanOut] = deque()

    def __len__(self) -> int:
        return len(self._waiting)

    def add(self, fanout: FanOut) -> None:
        self._waiting.append(fanout)
        if len(self._waiting) == 1:  # none in progress: its first slice now
            self._run(0)

    def _run(self, start: int) -> None:
        fanout = self._waiting[0]
        try:
            position = fanout.serve(start)
        except Exception:  # a bug must not stop every later event on this loop
            logger.exception("realtime fan-out failed; its event is not delivered further")
            position = len(fanout.targets)
        if position < len(fanout.targets):
            time.sleep(0)  # the GIL to a thread waiting for it (the write's request, its client) now, not in 5 ms
            self.loop.call_soon(self._run, position)
            return
        self._waiting.popleft()
        if self._waiting:
            time.sleep(0)
            self.loop.call_soon(self._run, 0)
