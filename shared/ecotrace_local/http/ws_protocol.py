"""The websocket protocol the stack's server runs (``connections.server_config``): uvicorn's sans-I/O websockets
protocol, lending each socket's ASGI app a :class:`~ecotrace_local.runtime.realtime_connection.FrameSink` under the
scope extension :data:`FRAME_SINK` so the realtime hub writes its frames straight to the transport.

Through ASGI, every message costs its socket a round of Starlette's and uvicorn's send path and an encode, frame and
serialise by the websockets library; for one event to 1,000 subscribers that is most of the fan-out. A server frame
is not masked (RFC 6455 section 5.1) and, with permessage-deflate off (``connections.py``), the same bytes are valid
on every socket: the sink writes the 2 to 10 byte header of a final text frame (section 5.2) and the frame's UTF-8
JSON as the hub built it, once, for everyone. Everything else (the handshake, pings, the close handshake, other
frames) stays with uvicorn and the websockets library; the sink writes only between whole frames, while the socket
is open, and never while the transport is paused (above its high-water mark): then the hub queues the frame.
"""

from __future__ import annotations

import struct
from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.protocol import State

FRAME_SINK = "ecotrace.frame_sink"
_FIN_TEXT = 0x81  # FIN bit and opcode 1 (text)


def text_frame_header(length: int) -> bytes:
    """The header of an unmasked, final text frame with ``length`` payload bytes (RFC 6455 section 5.2)."""
    if length < 126:
        return bytes((_FIN_TEXT, length))
    if length < 1 << 16:
        return struct.pack("!BBH", _FIN_TEXT, 126, length)
    return struct.pack("!BBQ", _FIN_TEXT, 127, length)


class TransportSink:
    """Writes text frames of one accepted websocket to its transport (see the module docstring)."""

    def __init__(self, protocol: FrameSinkProtocol) -> None:
        self._protocol = protocol

    def _open(self) -> bool:
        p = self._protocol
        return (
            p.handshake_complete
            and p.initial_response is None
            and not p.close_sent
            and not p.disconnected
            and p.conn.state is State.OPEN
            and not p.conn.extensions  # a negotiated extension (compression) would change the frame
            and not p.transport.is_closing()
        )

    def ready(self) -> bool:
        return self._protocol.writable.is_set() and self._open()

    def write(self, data: bytes) -> None:
        self._protocol.transport.write(text_frame_header(len(data)) + data)

    async def writable(self) -> bool:
        await self._protocol.writable.wait()  # set again when the connection is lost, too
        return self._open()


class FrameSinkProtocol(WebSocketsSansIOProtocol):
    """uvicorn's websockets sans-I/O protocol with a :class:`TransportSink` in each socket's scope."""

    async def run_asgi(self) -> None:
        extensions: dict[str, Any] = self.scope.setdefault("extensions", {})
        extensions[FRAME_SINK] = {"sink": TransportSink(self)}
        await super().run_asgi()


def frame_sink(scope: Any) -> TransportSink | None:
    """The sink a socket's scope carries, if its server lends one."""
    found = (scope.get("extensions") or {}).get(FRAME_SINK)
    sink = found.get("sink") if isinstance(found, dict) else None
    return sink if isinstance(sink, TransportSink) else None


__all__ = ["FRAME_SINK", "FrameSinkProtocol", "TransportSink", "frame_sink", "text_frame_header"]
