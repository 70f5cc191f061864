"""``python -m ecotrace_local``: serve the local Appwrite-compatible stack on loopback until Ctrl-C/SIGTERM."""

from __future__ import annotations

import ipaddress
import os
import socket
import sys
from types import FrameType

import uvicorn

from .stack import DEFAULT_LOCAL_API_KEY, SERVER_OPTIONS, LocalStack, StackConfig, apply_dev_defaults

LOOPBACK_NAMES = {"localhost", "ip6-localhost"}


class _Server(uvicorn.Server):
    """uvicorn re-raises SIGTERM after its graceful shutdown, which would skip closing the SQLite file; here a
    first Ctrl-C/SIGTERM shuts down gracefully and returns, a second one forces the exit."""

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if self.should_exit:
            self.force_exit = True
        self.should_exit = True


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def banner(config: StackConfig) -> str:
    base = f"http://{config.host}:{config.port}"
    key_source = "ECOTRACE_LOCAL_API_KEY" if config.api_key != DEFAULT_LOCAL_API_KEY else "built-in local default"
    lines = [
        "EcoTrace local stack (Appwrite 1.9.6-compatible)",
        f"  REST endpoint   {config.endpoint}",
        f"  Project ID      {config.project_id}",
        f"  API key         {config.api_key}  ({key_source}; local use only)",
        f"  SQLite          {config.db_path}",
        f"  Realtime        ws://{config.host}:{config.port}/v1/realtime?project={config.project_id}",
        f"  Dashboard       {base}/  (sign in with e-mail, or GitHub through the local stand-in)",
        f"  GitHub stand-in {base}/_github  (demo identities; REST {config.standin_api_url})",
        "  Functions:",
    ]
    for function in config.appwrite_json().get("functions", []):
        function_id = str(function["$id"])
        execute = [str(role) for role in function.get("execute", [])]
        if {"any", "guests"} & set(execute):  # Appwrite serves a domain only for these
            served = f"{base}/functions/{function_id}/"
        elif execute:
            served = f"POST {config.endpoint}/functions/{function_id}/executions (execute: {', '.join(execute)})"
        else:
            served = "API key only"
        if function.get("schedule"):
            served += f"; schedule {function['schedule']} (UTC)"
        if function.get("events"):
            served += f"; on {', '.join(map(str, function['events']))}"
        lines.append(f"    {function_id:<22} {served}")
    lines += [
        "",
        # Send a first event: the webhook work provides this script.
        "First event:  .venv/bin/python scripts/send_test_event.py",
        "Stop with Ctrl-C.",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    try:
        config = StackConfig.from_env()
        config.appwrite_json()  # fail here, clearly, rather than half-started
    except (FileNotFoundError, ValueError) as exc:  # no appwrite.json, a bad ECOTRACE_PORT, broken JSON
        print(f"Cannot start the local stack: {exc}", file=sys.stderr)
        return 2
    if not is_loopback(config.host):
        if os.environ.get("ECOTRACE_ALLOW_REMOTE") != "1":
            print(
                f"Refusing to listen on non-loopback host {config.host!r}: the local stack has a well-known key. "
                "Set ECOTRACE_ALLOW_REMOTE=1 to override.",
                file=sys.stderr,
            )
            return 2
        print(f"WARNING: listening on {config.host}, reachable from other machines.", file=sys.stderr)
    family = socket.AF_INET6 if ":" in config.host else socket.AF_INET
    # IPPROTO_TCP so asyncio sets TCP_NODELAY on accepted connections (else ~40 ms per keep-alive request).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((config.host, config.port))
    except OSError as exc:
        print(f"Cannot listen on {config.host}:{config.port}: {exc}", file=sys.stderr)
        return 1
    sock.listen(2048)  # connections made as soon as the banner shows wait in the backlog
    config.port = int(sock.getsockname()[1])  # the real port when ECOTRACE_PORT=0
    for notice in apply_dev_defaults(config):  # after the port is known: the GitHub stand-in's URL names it
        print(f"WARNING: {notice}", file=sys.stderr)
    stack = LocalStack(config)
    print(banner(config), flush=True)
    server = _Server(uvicorn.Config(stack.app, **SERVER_OPTIONS))
    try:
        # uvicorn handles SIGINT/SIGTERM itself and runs the lifespan shutdown (LocalStack.stop).
        server.run(sockets=[sock])
    finally:
        sock.close()
        stack.close()
    print("EcoTrace local stack stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
