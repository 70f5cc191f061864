"""A strict fake of the GitHub REST endpoints EcoTrace calls, served over real HTTP on 127.0.0.1.

- ``GET /repos/{owner}/{repo}/commits/{ref}``: the "Get a commit" shape (sha, stats {additions, deletions,
  total}, files[] diff entries); unknown commits 404 ``{"message": "No commit found for SHA: ..."}``.
- ``GET /repos/{owner}/{repo}/hooks/{hook_id}/deliveries``: hook deliveries newest first, ``per_page`` (max
  100) with a ``Link: <...cursor=...>; rel="next"`` header, as GitHub paginates this list by cursor.
- ``POST /repos/{owner}/{repo}/hooks/{hook_id}/deliveries/{delivery_id}/attempts``: 202 ``{}``; unknown 404.
- ``GET /user``: the account the token belongs to (``add_user(token, id, login)``; the app token's own account
  otherwise).

Like GitHub it refuses requests without ``Accept: application/vnd.github+json``-compatible headers or with a
token it does not know (401 ``Bad credentials``), and it keeps a rate limit: every answer carries
``x-ratelimit-limit``, ``-remaining``, ``-used``, ``-reset`` and ``-resource``; at zero remaining it answers 403
"API rate limit exceeded". Unknown routes 404 ``{"message": "Not Found"}``. Tests can script answers (status,
headers such as ``retry-after``, a hang), given before any check. Every request is recorded
(tests/fakes/http_fake.py).
"""

from __future__ import annotations

import re
import time
from typing import Any

from tests.fakes.http_fake import HttpFake, Scripted, Seen

__all__ = ["FakeGitHub", "Scripted", "Seen"]

COMMIT = re.compile(r"^/repos/([^/]+)/([^/]+)/commits/([^/]+)$")
DELIVERIES = re.compile(r"^/repos/([^/]+)/([^/]+)/hooks/(\d+)/deliveries$")
ATTEMPTS = re.compile(r"^/repos/([^/]+)/([^/]+)/hooks/(\d+)/deliveries/(\d+)/attempts$")
APP_ACCOUNT = {"id": 1, "login": "ecotrace-test"}  # whom the app token belongs to
NOT_FOUND = {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}


class FakeGitHub(HttpFake):
    def __init__(self, token: str = "ghp_test0123456789abcdef", rate_limit: int = 5000) -> None:
        super().__init__()
        self.token = token
        self.limit = rate_limit
        self.remaining = rate_limit
        self.reset_at = int(time.time()) + 3600
        self.commits: dict[tuple[str, str], dict[str, Any]] = {}  # (owner/repo lower, sha) -> stats + files
        self.deliveries: dict[tuple[str, int], list[dict[str, Any]]] = {}  # (repo, hook) -> newest first
        self.users: dict[str, dict[str, Any]] = {}  # OAuth token -> the account it belongs to
        self.redelivered: list[int] = []
        self._next_delivery_id = 1000

    @property
    def base_url(self) -> str:
        return self.origin

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

    def add_user(self, token: str, user_id: int, login: str) -> None:
        """A person's OAuth token: accepted like the app token, and ``GET /user`` answers their account."""
        self.users[token] = {"id": user_id, "login": login}

    # ---- answering ------------------------------------------------------------------------------------
    def _limits(self) -> dict[str, str]:
        return {
            "x-ratelimit-limit": str(self.limit),
            "x-ratelimit-remaining": str(max(self.remaining, 0)),
            "x-ratelimit-used": str(self.limit - max(self.remaining, 0)),
            "x-ratelimit-reset": str(self.reset_at),
            "x-ratelimit-resource": "core",
        }

    def answer(self, request: Seen) -> Scripted:
        scripted = self.next_scripted(request.path)
        if scripted is not None:
            headers = {**self._limits(), **scripted.headers}
            return Scripted(scripted.status, scripted.body or {}, headers, scripted.hang_s)
        if "json" not in request.headers.get("accept", ""):
            return Scripted(415, {"message": "Unsupported 'Accept' header"})
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme != "Bearer" or (token != self.token and token not in self.users):
            return Scripted(401, {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"})
        with self._lock:
            if self.remaining <= 0:
                body = {
                    "message": "API rate limit exceeded for user ID 1.",
                    "documentation_url": "https://docs.github.com",
                }
                return Scripted(403, body, self._limits())
            self.remaining -= 1
        return self._route(request, token, self._limits())

    def _route(self, request: Seen, token: str, limits: dict[str, str]) -> Scripted:
        path = request.path
        if request.method == "GET" and path == "/user":
            return Scripted(200, {**self.users.get(token, APP_ACCOUNT), "type": "User"}, limits)
        if request.method == "GET" and (match := COMMIT.match(path)):
            return self._commit(f"{match.group(1)}/{match.group(2)}".lower(), match.group(3).lower(), limits)
        if request.method == "GET" and (match := DELIVERIES.match(path)):
            key = (f"{match.group(1)}/{match.group(2)}".lower(), int(match.group(3)))
            return self._deliveries(key, request, limits)
        if request.method == "POST" and (match := ATTEMPTS.match(path)):
            key = (f"{match.group(1)}/{match.group(2)}".lower(), int(match.group(3)))
            delivery = int(match.group(4))
            if not any(item["id"] == delivery for item in self.deliveries.get(key, [])):
                return Scripted(404, NOT_FOUND, limits)
            self.redelivered.append(delivery)
            return Scripted(202, {}, limits)
        return Scripted(404, NOT_FOUND, limits)

    def _commit(self, repo: str, sha: str, limits: dict[str, str]) -> Scripted:
        entry = self.commits.get((repo, sha))
        if entry is None:
            return Scripted(404 if len(sha) >= 4 else 422, {"message": f"No commit found for SHA: {sha}"}, limits)
        diff = {"status": "modified", "additions": 0, "deletions": 0, "changes": 0}
        files = [{"sha": "0" * 40, "filename": f"f{index}.py", **diff} for index in range(min(entry["files"], 300))]
        total = entry["additions"] + entry["deletions"]
        body = {
            "sha": sha,
            "stats": {"additions": entry["additions"], "deletions": entry["deletions"], "total": total},
            "files": files,
        }
        return Scripted(200, body, limits)

    def _deliveries(self, key: tuple[str, int], request: Seen, limits: dict[str, str]) -> Scripted:
        items = self.deliveries.get(key)
        if items is None:
            return Scripted(404, NOT_FOUND, limits)
        per_page = min(int(request.query.get("per_page") or "30"), 100)
        start = int(request.query.get("cursor") or "0")
        page = items[start : start + per_page]
        if start + per_page < len(items):
            next_page = f"{self.base_url}{request.path}?per_page={per_page}&cursor={start + per_page}"
            limits = {**limits, "link": f'<{next_page}>; rel="next"'}
        return Scripted(200, page, limits)
