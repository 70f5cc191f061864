"""A strict fake of the three GitHub REST endpoints EcoTrace calls, served over real HTTP on 127.0.0.1.

- ``GET /repos/{owner}/{repo}/commits/{ref}``: the "Get a commit" shape (sha, stats {additions, deletions,
  total}, files[] diff entries); unknown commits 404 ``{"message": "No commit found for SHA: ..."}``.
- ``GET /repos/{owner}/{repo}/hooks/{hook_id}/deliveries``: hook deliveries newest first, ``per_page`` (max
  100) with a ``Link: <...cursor=...>; rel="next"`` header, as GitHub paginates this list by cursor.
- ``POST /repos/{owner}/{repo}/hooks/{hook_id}/deliveries/{delivery_id}/attempts``: 202 ``{}``; unknown 404.

Like GitHub it refuses requests without ``Accept: application/vnd.github+json``-compatible headers or with a
wrong token (401 ``Bad credentials``), and it keeps a rate limit: every answer carries ``x-ratelimit-limit``,
``-remaining``, ``-used``, ``-reset`` and ``-resource``; at zero remaining it answers 403 "API rate limit
exceeded". Tests can script answers (status, headers such as ``retry-after``, a hang). Every request is recorded.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

COMMIT = re.compile(r"^/repos/([^/]+)/([^/]+)/commits/([^/]+)$")
DELIVERIES = re.compile(r"^/repos/([^/]+)/([^/]+)/hooks/(\d+)/deliveries$")
ATTEMPTS = re.compile(r"^/repos/([^/]+)/([^/]+)/hooks/(\d+)/deliveries/(\d+)/attempts$")


@dataclass
class Scripted:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    hang_s: float = 0.0


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]


class FakeGitHub:
    def __init__(self, token: str = "ghp_test0123456789abcdef", rate_limit: int = 5000) -> None:
        self.token = token
        self.limit = rate_limit
        self.remaining = rate_limit
        self.reset_at = int(time.time()) + 3600
        self.commits: dict[tuple[str, str], dict[str, Any]] = {}  # (owner/repo lower, sha) -> stats + files
        self.deliveries: dict[tuple[str, int], list[dict[str, Any]]] = {}  # (repo, hook) -> newest first
        self.redelivered: list[int] = []
        self.seen: list[Seen] = []
        self._script: deque[Scripted] = deque()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._next_delivery_id = 1000

    # ---- set up ---------------------------------------------------------------------------------------
    def add_commit(self, repo: str, sha: str, additions: int, deletions: int, files: int = 1) -> None:
        self.commits[(repo.lower(), sha.lower())] = {"additions": additions, "deletions": deletions, "files": files}

    def add_delivery(self, repo: str, hook_id: int, guid: str, status_code: int, event: str = "push") -> int:
        self._next_delivery_id += 1
        item = {
            "id": self._next_delivery_id,
            "guid": guid,
            "delivered_at": "2026-11-25T10:00:00Z",
            "redelivery": False,
            "duration": 0.3,
            "status": "OK" if 200 <= status_code < 300 else f"Invalid HTTP Response: {status_code}",
            "status_code": status_code,
            "event": event,
            "action": None,
            "installation_id": None,
            "repository_id": 186853002,
        }
        self.deliveries.setdefault((repo.lower(), hook_id), []).insert(0, item)
        return self._next_delivery_id

    def then(self, *answers: Scripted) -> None:
        with self._lock:
            self._script.extend(answers)

    def hits(self, pattern: str = "") -> int:
        return sum(1 for s in self.seen if re.search(pattern, s.path))

    # ---- server ---------------------------------------------------------------------------------------
    def start(self) -> FakeGitHub:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return None

            def do_GET(self) -> None:
                fake._handle(self)

            def do_POST(self) -> None:
                fake._handle(self)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> FakeGitHub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    # ---- answering ------------------------------------------------------------------------------------
    def _limits(self) -> dict[str, str]:
        return {
            "x-ratelimit-limit": str(self.limit),
            "x-ratelimit-remaining": str(max(self.remaining, 0)),
            "x-ratelimit-used": str(self.limit - max(self.remaining, 0)),
            "x-ratelimit-reset": str(self.reset_at),
            "x-ratelimit-resource": "core",
        }

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        query = dict(parse_qsl(parts.query))
        headers = {k.lower(): v for k, v in handler.headers.items()}
        length = int(headers.get("content-length") or 0)
        if length:
            handler.rfile.read(length)
        with self._lock:
            self.seen.append(Seen(handler.command, parts.path, query, headers))
            scripted = self._script.popleft() if self._script else None
        if scripted is not None:
            if scripted.hang_s:
                time.sleep(scripted.hang_s)
            self._send(handler, scripted.status, scripted.body or {}, {**self._limits(), **scripted.headers})
            return
        if "json" not in headers.get("accept", ""):
            self._send(handler, 415, {"message": "Unsupported 'Accept' header"})
            return
        if headers.get("authorization") != f"Bearer {self.token}":
            self._send(
                handler, 401, {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"}
            )
            return
        with self._lock:
            if self.remaining <= 0:
                self._send(
                    handler,
                    403,
                    {
                        "message": "API rate limit exceeded for user ID 1.",
                        "documentation_url": "https://docs.github.com",
                    },
                    self._limits(),
                )
                return
            self.remaining -= 1
        limits = self._limits()
        if handler.command == "GET" and (m := COMMIT.match(parts.path)):
            repo, sha = f"{m.group(1)}/{m.group(2)}".lower(), m.group(3).lower()
            entry = self.commits.get((repo, sha))
            if entry is None:
                self._send(
                    handler, 404 if len(sha) >= 4 else 422, {"message": f"No commit found for SHA: {sha}"}, limits
                )
                return
            files = [
                {
                    "sha": "0" * 40,
                    "filename": f"f{i}.py",
                    "status": "modified",
                    "additions": 0,
                    "deletions": 0,
                    "changes": 0,
                }
                for i in range(min(entry["files"], 300))
            ]
            total = entry["additions"] + entry["deletions"]
            body = {
                "sha": sha,
                "stats": {"additions": entry["additions"], "deletions": entry["deletions"], "total": total},
                "files": files,
            }
            self._send(handler, 200, body, limits)
        elif handler.command == "GET" and (m := DELIVERIES.match(parts.path)):
            key = (f"{m.group(1)}/{m.group(2)}".lower(), int(m.group(3)))
            items = self.deliveries.get(key)
            if items is None:
                self._send(handler, 404, {"message": "Not Found"}, limits)
                return
            per_page = min(int(query.get("per_page", "30")), 100)
            start = int(query.get("cursor", "0"))
            page = items[start : start + per_page]
            if start + per_page < len(items):
                limits["link"] = (
                    f'<{self.base_url}{parts.path}?per_page={per_page}&cursor={start + per_page}>; rel="next"'
                )
            self._send(handler, 200, page, limits)
        elif handler.command == "POST" and (m := ATTEMPTS.match(parts.path)):
            key = (f"{m.group(1)}/{m.group(2)}".lower(), int(m.group(3)))
            delivery = int(m.group(4))
            if not any(d["id"] == delivery for d in self.deliveries.get(key, [])):
                self._send(handler, 404, {"message": "Not Found"}, limits)
                return
            self.redelivered.append(delivery)
            self._send(handler, 202, {}, limits)
        else:
            self._send(handler, 404, {"message": "Not Found"}, limits)

    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        handler.send_response(status)
        handler.send_header("content-type", "application/json; charset=utf-8")
        handler.send_header("content-length", str(len(data)))
        for k, v in (headers or {}).items():
            handler.send_header(k, v)
        handler.end_headers()
        handler.wfile.write(data)
