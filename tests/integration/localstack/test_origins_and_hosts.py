"""Which web pages may use the local stack (issue 14, item 6), as Appwrite decides it (1.9.6: ``Network/Cors.php``,
``Network/Validator/Origin.php``, ``controllers/general.php``): an Origin whose hostname is a platform (``localhost``
and its spellings ``127.0.0.1`` and ``[::1]`` by default, more with ``ECOTRACE_ALLOWED_ORIGINS``) gets its Origin
echoed with credentials; any other gets no ``Access-Control-Allow-Origin``, and a request from it without an API
key is 403 ``general_unknown_origin``. A ``Host`` that is not this stack's (a DNS-rebinding page) is refused unless
``ECOTRACE_ALLOWED_HOSTS`` names it."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import requests
from websockets.sync.client import connect

from ecotrace_local.testing import StackHandle, run_stack
from tests.integration.localstack.ls_support import DB, write_root

ROWS = f"/tablesdb/{DB}/tables/board/rows"


def _get(
    stack: StackHandle, origin: str | None = None, *, key: bool = False, host: str | None = None
) -> httpx.Response:
    headers = {"X-Appwrite-Project": stack.project_id}
    if origin is not None:
        headers["Origin"] = origin
    if key:
        headers["X-Appwrite-Key"] = stack.api_key
    if host is not None:
        headers["Host"] = host
    return httpx.get(stack.endpoint + ROWS, headers=headers, timeout=5)


@pytest.mark.parametrize(
    "origin",
    ["http://localhost:5173", "https://localhost", "http://127.0.0.1:3000", "http://[::1]:8080", "http://LocalHost:1"],
)
def test_the_loopback_platform_is_allowed_with_credentials(stack: StackHandle, origin: str) -> None:
    response = _get(stack, origin)
    assert response.status_code == 401  # board is for signed-in users: the origin passed, the guest did not
    assert response.headers["access-control-allow-origin"] == origin.lower()
    assert response.headers["access-control-allow-credentials"] == "true"
    preflight = httpx.options(
        stack.endpoint + ROWS,
        headers={"Origin": origin, "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "x-appwrite-project, x-appwrite-jwt"},
        timeout=5,
    )  # fmt: skip
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == origin.lower()
    assert "X-Appwrite-JWT" in preflight.headers["access-control-allow-headers"]


@pytest.mark.parametrize(
    ("origin", "description"),
    [
        ("https://evil.example", "Invalid Origin. Register your new client (evil.example) as a new Web platform"),
        ("http://localhost.evil.example", "Invalid Origin. Register your new client (localhost.evil.example)"),
        ("http://127.0.0.1.evil.example:8787", "Invalid Origin. Register your new client (127.0.0.1.evil.example)"),
        ("http://xlocalhost", "Invalid Origin. Register your new client (xlocalhost)"),
        ("http://127.0.0.2", "Invalid Origin. Register your new client (127.0.0.2)"),
        ("chrome-extension://abcdefgh", "as a new Web (Chrome Extension) platform"),
        ("null", "Invalid Origin."),
    ],
)
def test_any_other_origin_is_refused_and_never_echoed(stack: StackHandle, origin: str, description: str) -> None:
    response = _get(stack, origin)
    assert (response.status_code, response.json()["type"]) == (403, "general_unknown_origin")
    assert description in response.json()["message"]
    assert "access-control-allow-origin" not in response.headers
    preflight = httpx.options(
        stack.endpoint + ROWS, headers={"Origin": origin, "Access-Control-Request-Method": "POST"}, timeout=5
    )
    assert "access-control-allow-origin" not in preflight.headers
    # A server with the API key may send any Origin (Appwrite skips the check), but a browser still reads nothing.
    keyed = _get(stack, origin, key=True)
    assert keyed.status_code == 200
    assert "access-control-allow-origin" not in keyed.headers


def test_function_domains_skip_the_origin_check_as_appwrite_routes_them(stack: StackHandle) -> None:
    response = httpx.post(f"{stack.base_url}/functions/none/", headers={"Origin": "https://evil.example"}, timeout=5)
    assert response.json()["type"] == "function_not_found"  # reached the route: no 403 general_unknown_origin
    assert "access-control-allow-origin" not in response.headers


@pytest.mark.parametrize(
    "host",
    ["evil.example", "evil.example:8787", "localhost.evil.example", "127.0.0.1.nip.io", "10.0.0.5", "localhost."],
)
def test_an_unexpected_host_is_refused(stack: StackHandle, host: str) -> None:
    """DNS rebinding: a page on evil.example whose name now resolves to 127.0.0.1 reaches the port, not the stack."""
    for response in (_get(stack, host=host), _get(stack, "http://localhost:5173", key=True, host=host)):
        assert (response.status_code, response.json()["type"]) == (403, "general_access_forbidden")
        assert "ECOTRACE_ALLOWED_HOSTS" in response.json()["message"]
        assert "access-control-allow-origin" not in response.headers
    domain = httpx.post(f"{stack.base_url}/functions/none/", headers={"Host": host}, timeout=5)
    assert domain.status_code == 403
    assert _websocket_handshake_status(stack, host) == 403


def _websocket_handshake_status(stack: StackHandle, host: str) -> int:
    """The status of a raw websocket upgrade of /v1/realtime sent with ``Host: host`` (one Host header only)."""
    with socket.create_connection(("127.0.0.1", stack.stack.config.port), timeout=5) as raw:
        raw.sendall(
            (
                "GET /v1/realtime?project=ecotrace HTTP/1.1\r\n"
                f"Host: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )
        status_line = raw.recv(4096).split(b"\r\n", 1)[0]
    return int(status_line.split()[1])


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "[::1]", "LOCALHOST"])
def test_the_stacks_own_names_are_served(stack: StackHandle, host: str) -> None:
    port = stack.stack.config.port
    for value in (host, f"{host}:{port}"):
        assert _get(stack, key=True, host=value).status_code == 200
    assert _websocket_handshake_status(stack, f"{host}:{port}") == 101


def test_realtime_refuses_a_foreign_origin_as_appwrite_does(stack: StackHandle) -> None:
    url = f"ws://127.0.0.1:{stack.stack.config.port}/v1/realtime?project=ecotrace"
    with connect(url, additional_headers={"Origin": "https://evil.example"}, open_timeout=5) as socket:
        error = json.loads(socket.recv(timeout=5))
        assert error["type"] == "error"
        assert error["data"]["code"] == 1008
        assert error["data"]["message"].startswith("Invalid Origin. Register your new client (evil.example)")
        with pytest.raises(Exception, match="1008"):
            socket.recv(timeout=5)
    with connect(url, additional_headers={"Origin": "http://localhost:5173"}, open_timeout=5) as socket:
        assert json.loads(socket.recv(timeout=5))["type"] == "connected"


@pytest.fixture(scope="module")
def configured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackHandle]:
    base = tmp_path_factory.mktemp("configured-platforms")
    env = {
        "ECOTRACE_ALLOWED_ORIGINS": "app.example.com, *.preview.example.org, https://console.example.net:8443",
        "ECOTRACE_ALLOWED_HOSTS": "tunnel.example.net",
    }
    with run_stack(write_root(base / "root"), db_path=base / "db.sqlite3", env=env) as handle:
        yield handle


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        ("https://app.example.com", True),
        ("http://app.example.com:3000", True),
        ("https://pr-12.preview.example.org", True),
        ("https://preview.example.org", False),  # a wildcard is for subdomains only (utopia's Hostname)
        ("https://console.example.net", True),  # matched by hostname, as Appwrite's platforms are
        ("http://localhost:5173", False),  # configured platforms replace the default
        ("https://evil.example", False),
    ],
)
def test_configured_origins(configured: StackHandle, origin: str, allowed: bool) -> None:
    response = _get(configured, origin)
    if allowed:
        assert response.headers["access-control-allow-origin"] == origin
    else:
        assert response.status_code == 403
        assert "access-control-allow-origin" not in response.headers


def test_configured_hosts(configured: StackHandle) -> None:
    assert _get(configured, key=True, host="tunnel.example.net").status_code == 200
    assert _get(configured, key=True, host="127.0.0.1").status_code == 200  # loopback stays allowed
    assert _get(configured, key=True, host="other.example.net").status_code == 403


def test_a_bare_wildcard_origin_is_refused_at_start(tmp_path: Path) -> None:
    with (
        pytest.raises(ValueError, match="ECOTRACE_ALLOWED_ORIGINS"),
        run_stack(
            write_root(tmp_path / "root"), db_path=tmp_path / "db.sqlite3", env={"ECOTRACE_ALLOWED_ORIGINS": "*"}
        ),
    ):
        pass


def test_requests_without_origin_are_unaffected(stack: StackHandle) -> None:
    assert requests.get(stack.endpoint + ROWS, headers={"X-Appwrite-Project": "ecotrace"}, timeout=5).status_code == 401
