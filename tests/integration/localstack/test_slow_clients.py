"""Slow and broken clients (issue 14, item 8): a connection that never finishes its request is dropped after a bounded
time, however slowly it keeps dripping bytes (1,000 of them, as the attack held), the stack keeps answering others
meanwhile, and an upload the client aborts is one line in the log, not two tracebacks."""

from __future__ import annotations

import contextlib
import logging
import selectors
import socket
import time
from pathlib import Path

import pytest
import requests

from ecotrace_local.http import connections
from ecotrace_local.testing import StackHandle, run_stack
from tests.integration.localstack.ls_support import DB, write_root

SLOW_CLIENTS = 1000


def _open(port: int, first_bytes: bytes) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.sendall(first_bytes)
    sock.setblocking(False)
    return sock


def _closed_by_server(sock: socket.socket) -> bool:
    try:
        return sock.recv(65536) == b""  # data (an answer) first: the close comes next
    except BlockingIOError:
        return False
    except OSError:  # reset
        return True


def _drip_until_dropped(socks: list[socket.socket], byte: bytes, limit_s: float) -> float:
    """Send ``byte`` on every open socket each second until the server has closed them all; the seconds taken."""
    started = time.monotonic()
    selector = selectors.DefaultSelector()
    for sock in socks:
        selector.register(sock, selectors.EVENT_READ)
    open_socks = set(socks)
    next_drip = started
    while open_socks and time.monotonic() - started < limit_s:
        if time.monotonic() >= next_drip:
            for sock in list(open_socks):
                with contextlib.suppress(OSError):  # closed meanwhile: found below
                    sock.send(byte)
            next_drip += 1.0
        for key, _ in selector.select(timeout=0.2):
            sock = key.fileobj
            assert isinstance(sock, socket.socket)
            if sock in open_socks and _closed_by_server(sock):
                open_socks.discard(sock)
                selector.unregister(sock)
    for sock in socks:
        sock.close()
    assert not open_socks, f"{len(open_socks)} of {len(socks)} slow connections still open after {limit_s:.0f} s"
    return time.monotonic() - started


def test_a_thousand_slowloris_connections_are_dropped_and_others_are_served(stack: StackHandle) -> None:
    port = stack.stack.config.port
    head = f"GET /v1/tablesdb/{DB}/tables/notes/rows HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Appwrite-Project: ecotrace\r\n"
    socks = [_open(port, head.encode()) for _ in range(SLOW_CLIENTS)]
    # Meanwhile the stack answers as usual.
    assert requests.get(f"{stack.endpoint}/health/version", timeout=5).status_code == 200
    took = _drip_until_dropped(socks, b"X", limit_s=connections.HEAD_TIMEOUT_S + 15)
    assert took >= connections.HEAD_TIMEOUT_S - 1  # not before the bound: a slow but honest client has that long
    assert requests.get(f"{stack.endpoint}/health/version", timeout=5).status_code == 200


def test_a_body_that_trickles_is_dropped_after_its_bound(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(connections, "BODY_TIMEOUT_S", 2.0)
    with run_stack(write_root(tmp_path / "root"), db_path=tmp_path / "db.sqlite3") as stack:
        head = (
            f"POST /v1/tablesdb/{DB}/tables/notes/rows HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Appwrite-Project: ecotrace\r\n"
            "Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"
        )
        socks = [_open(stack.stack.config.port, head.encode()) for _ in range(20)]
        took = _drip_until_dropped(socks, b" ", limit_s=15)
        assert 1.5 <= took < 15


def test_an_aborted_upload_is_one_log_line(stack: StackHandle, server_log: list[logging.LogRecord]) -> None:
    for attempt in range(3):
        sock = socket.create_connection(("127.0.0.1", stack.stack.config.port), timeout=5)
        sock.sendall(
            f"POST /v1/tablesdb/{DB}/tables/notes/rows HTTP/1.1\r\nHost: 127.0.0.1\r\n".encode()
            + f"X-Appwrite-Project: ecotrace\r\nX-Appwrite-Key: {stack.api_key}\r\n".encode()
            + b"Content-Type: application/json\r\nContent-Length: 1000000\r\n\r\n"
            + f'{{"rowId":"n{attempt}","data":{{"title":"'.encode()
            + b"x" * 5000
        )
        time.sleep(0.2)
        sock.close()
    deadline = time.monotonic() + 5
    while len(server_log) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    lines = [line for r in server_log for line in logging.Formatter().format(r).splitlines()]
    assert len(lines) == 3, lines  # one line per aborted upload
    assert all(r.exc_info is None and "disconnected" in r.getMessage() for r in server_log), lines
    assert requests.get(f"{stack.endpoint}/health/version", timeout=5).status_code == 200
