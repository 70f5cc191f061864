"""What every strict HTTP fake in tests/fakes shares: a real HTTP server on 127.0.0.1 (a free port, a daemon
thread), every request recorded, and answers a test scripts ahead of time.

A fake subclasses :class:`HttpFake` and implements :meth:`HttpFake.answer`, which sees each request (already
recorded) and returns the answer the real API would give; it calls :meth:`HttpFake.next_scripted` at the point
where the real API would fail (after routing and auth for one API, before them for another), so each fake stays
as strict as the API it stands for. Answers are JSON unless the body is bytes; a ``hang_s`` answer waits first
(longer than a client's timeout, to test timeouts), and a client that gave up is not an error.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit

LOOPBACK = "127.0.0.1"


@dataclass
class Scripted:
    """One answer: a status with a body (JSON-able, or bytes sent as they are) and headers, after a hang of
    ``hang_s``. Scripted ahead of time (:meth:`HttpFake.then`), ``path`` limits it to requests for that path."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    hang_s: float = 0.0
    path: str | None = None


@dataclass(frozen=True)
class Seen:
    """One request as the fake received it (header names in lower case)."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes = b""


class HttpFake:
    def __init__(self) -> None:
        self.requests: list[Seen] = []
        self.always: Scripted | None = None  # answer every request this way (an outage), before any script
        self._script: deque[Scripted] = deque()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    # ---- what a fake fills in ------------------------------------------------------------------------------
    def answer(self, request: Seen) -> Scripted:
        """The real API's answer to ``request``."""
        raise NotImplementedError

    # ---- scripting and observing ------------------------------------------------------------------------------
    def then(self, *answers: Scripted) -> None:
        """Queue answers: each is given once, in order, where the fake asks :meth:`next_scripted`."""
        with self._lock:
            self._script.extend(answers)

    def next_scripted(self, path: str) -> Scripted | None:
        """``always`` if set, else the next queued answer if it is for any path or for ``path``, else None."""
        with self._lock:
            if self.always is not None:
                return self.always
            if self._script and self._script[0].path in (None, path):
                return self._script.popleft()
        return None

    def hits(self, pattern: str | None = None) -> int:
        """Requests so far whose path matches the regular expression ``pattern`` (all when None)."""
        return sum(1 for request in self.requests if pattern is None or re.search(pattern, request.path))

    # ---- lifecycle ----------------------------------------------------------------------------------------
    def start(self) -> Self:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            wbufsize = 1 << 16  # one write per response (headers and body): no delayed-ACK stalls

            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_GET(self) -> None:
                fake._serve(self)

            do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

        self._server = ThreadingHTTPServer((LOOPBACK, 0), Handler)
        self._server.daemon_threads = True
        thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def origin(self) -> str:
        """``http://127.0.0.1:<port>``."""
        assert self._server is not None, "start the fake first"
        return f"http://{LOOPBACK}:{self._server.server_address[1]}"

    # ---- serving --------------------------------------------------------------------------------------------
    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        headers = {name.lower(): value for name, value in handler.headers.items()}
        length = int(headers.get("content-length") or 0)
        body = handler.rfile.read(length) if length else b""
        request = Seen(handler.command, parts.path, dict(parse_qsl(parts.query, keep_blank_values=True)), headers, body)
        with self._lock:
            self.requests.append(request)
        reply = self.answer(request)
        if reply.hang_s:
            time.sleep(reply.hang_s)
        raw = reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body).encode("utf-8")
        try:
            handler.send_response(reply.status)
            handler.send_header("content-type", "application/json; charset=utf-8")
            handler.send_header("content-length", str(len(raw)))
            for name, value in reply.headers.items():
                handler.send_header(name, value)
            handler.end_headers()
            handler.wfile.write(raw)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout tests)
