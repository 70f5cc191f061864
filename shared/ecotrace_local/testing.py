"""Run the local stack in-process for tests: ``with run_stack(root, db_path=...) as stack: ...``.

The server runs under uvicorn in a background thread on 127.0.0.1 with an ephemeral port; the handle gives
the endpoint, the key, configured Appwrite SDK clients, and the :class:`~ecotrace_local.stack.LocalStack`.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn

from .stack import SERVER_OPTIONS, LocalStack, StackConfig, apply_dev_defaults

START_TIMEOUT_S = 15.0


@dataclass
class StackHandle:
    stack: LocalStack
    server: uvicorn.Server

    @property
    def base_url(self) -> str:
        return f"http://{self.stack.config.host}:{self.stack.config.port}"

    @property
    def endpoint(self) -> str:
        return self.stack.config.endpoint

    @property
    def api_key(self) -> str:
        return self.stack.config.api_key

    @property
    def project_id(self) -> str:
        return self.stack.config.project_id

    def reset(self) -> None:
        """Empty every table, user and transaction; drop faults and the request log (between tests)."""
        self.stack.reset()

    def client(self, key: str | None = None) -> Any:
        """An Appwrite SDK ``Client`` using the project key (or ``key``)."""
        from appwrite.client import Client

        return Client().set_endpoint(self.endpoint).set_project(self.project_id).set_key(key or self.api_key)

    def guest_client(self) -> Any:
        from appwrite.client import Client

        return Client().set_endpoint(self.endpoint).set_project(self.project_id)

    def user_jwt(self, user_id: str, *, email: str | None = None, name: str = "") -> str:
        """Create the user if needed and mint a JWT for it through ``Users.create_jwt`` (as an app would)."""
        from appwrite.exception import AppwriteException
        from appwrite.services.users import Users

        users = Users(self.client())
        try:
            users.get(user_id)
        except AppwriteException as exc:
            if exc.code != 404:
                raise
            users.create(user_id, email=email, name=name or user_id)
        result = users.create_jwt(user_id)
        return str(result.jwt if hasattr(result, "jwt") else result["jwt"])

    def user_client(self, user_id: str, *, email: str | None = None) -> Any:
        """An SDK ``Client`` signed in as ``user_id`` with a JWT (``set_jwt``)."""
        from appwrite.client import Client

        token = self.user_jwt(user_id, email=email)
        return Client().set_endpoint(self.endpoint).set_project(self.project_id).set_jwt(token)


@contextlib.contextmanager
def run_stack(
    root: Path | None = None,
    *,
    db_path: Path,
    env: dict[str, str] | None = None,
    port: int = 0,
    appwrite_json: dict[str, Any] | None = None,
    dev_defaults: bool = False,
) -> Iterator[StackHandle]:
    """Start the stack on 127.0.0.1 (``port=0``: any free port), yield a handle, stop it.

    ``root`` holds appwrite.json (``appwrite_json`` overrides it) and optionally ``.env``; settings come from
    ``env`` and that ``.env`` only, never from this process's environment, so tests do not depend on the shell.
    ``dev_defaults``: what ``make dev`` fills in when unset (the GitHub stand-in as ``GITHUB_API_URL``, the local
    webhook secret).
    """
    config = StackConfig.from_env(env if env is not None else {}, root=root)
    config.db_path = db_path
    config.host = "127.0.0.1"
    # proto=IPPROTO_TCP matters: asyncio sets TCP_NODELAY on accepted connections only for such sockets; without
    # it every keep-alive request waits ~40 ms on delayed ACKs (measured: 44 ms vs 1.6 ms per request).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((config.host, port))
    config.port = int(sock.getsockname()[1])  # before the stack is built: the functions' endpoint names it
    if dev_defaults:
        apply_dev_defaults(config)
    try:
        stack = LocalStack(config, appwrite_json=appwrite_json)
    except BaseException:
        sock.close()
        raise
    server = uvicorn.Server(uvicorn.Config(stack.app, lifespan="on", **SERVER_OPTIONS))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="ecotrace-local", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the local stack did not start")
            time.sleep(0.01)
        yield StackHandle(stack=stack, server=server)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
        stack.close()
