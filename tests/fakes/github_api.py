"""A strict fake of the GitHub REST endpoints EcoTrace calls, served over real HTTP on 127.0.0.1.

- ``GET /repos/{owner}/{repo}/commits/{ref}``: the "Get a commit" shape (sha, stats {additions, deletions,
  total}, files[] diff entries); unknown commits 404 ``{"message": "No commit found for SHA: ..."}``.
- ``GET /repos/{owner}/{repo}/hooks/{hook_id}/deliveries``: hook deliveries newest first, ``per_page`` (max
  100) with a ``Link: <...cursor=...>; rel="next"`` header, as GitHub paginates this list by cursor.
- ``POST /repos/{owner}/{repo}/hooks/{hook_id}/deliveries/{delivery_id}/attempts``: 202 ``{}``; unknown 404.
- ``GET /user``: the account the token belongs to (``add_user(token, id, login)``; the app token's own account
  otherwise).
- Actions and repositories, for the backfill (``add_repo``, ``add_run``, ``add_job``, ``add_listed_commit``):
  ``GET /repos/{owner}/{repo}`` (with ``permissions`` for the token), ``GET /orgs/{org}/repos``,
  ``GET /repos/{owner}/{repo}/actions/runs`` (``created=A..B`` with ISO times, both ends inclusive, and
  ``status``; newest first; ``total_count`` is every match but, as on GitHub, a filtered search returns at most
  1,000 of them), ``GET .../actions/runs/{run_id}/jobs`` (``filter=latest`` by default: the latest attempt's
  jobs; ``filter=all``: every attempt's), ``GET /repos/{owner}/{repo}/commits`` (``since``/``until`` on the
  committer date, newest first). Lists page by ``page``/``per_page`` (at most 100) with a ``Link`` header
  (``rel="next"`` and ``rel="last"``) that keeps the other parameters.
- Pull-request summaries: ``POST /repos/{owner}/{repo}/statuses/{sha}`` (``state`` one of error, failure,
  pending, success; ``description`` at most 140 characters, else 422), ``POST .../issues/{n}/comments`` (201
  with an id) and ``PATCH .../issues/comments/{id}`` (404 for an unknown id); kept in ``statuses`` and
  ``comments``.
- Access: ``hide(repo, token)`` makes a repository answer 404 to that token (or every token), ``forbid(repo,
  token)`` 403 "Resource not accessible by integration" (reads and writes), ``read_only(repo)`` 403 for writes.

Like GitHub it refuses requests without ``Accept: application/vnd.github+json``-compatible headers or with a
token it does not know (401 ``Bad credentials``), and it keeps a rate limit: every answer carries
``x-ratelimit-limit``, ``-remaining``, ``-used``, ``-reset`` and ``-resource``; at zero remaining it answers 403
"API rate limit exceeded". Unknown routes 404 ``{"message": "Not Found"}``. Tests can script answers (status,
headers such as ``retry-after``, a hang), given before any check. Every request is recorded
(tests/fakes/http_fake.py).
"""

from __future__ import annotations

import json
import re
import time
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from tests.fakes.http_fake import HttpFake, Scripted, Seen

__all__ = ["FakeGitHub", "Scripted", "Seen"]

COMMIT = re.compile(r"^/repos/([^/]+)/([^/]+)/commits/([^/]+)$")
REPO = re.compile(r"^/repos/([^/]+)/([^/]+)(/.*)?$")
ORG_REPOS = re.compile(r"^/orgs/([^/]+)/repos$")
RUNS = re.compile(r"^/actions/runs$")
JOBS = re.compile(r"^/actions/runs/(\d+)/jobs$")
STATUS = re.compile(r"^/statuses/([0-9a-fA-F]{4,64})$")
COMMENTS = re.compile(r"^/issues/(\d+)/comments$")
COMMENT = re.compile(r"^/issues/comments/(\d+)$")
SEARCH_CAP = 1000  # a filtered runs search returns at most this many results
STATUS_STATES = ("error", "failure", "pending", "success")
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
        self.repos: dict[str, dict[str, Any]] = {}  # owner/repo lower -> repository object
        self.orgs: dict[str, list[str]] = {}  # org lower -> its repositories (owner/repo)
        self.runs: dict[str, list[dict[str, Any]]] = {}  # repo -> workflow run objects (latest attempt each)
        self.jobs: dict[tuple[str, int], list[dict[str, Any]]] = {}  # (repo, run id) -> job objects, every attempt
        self.listed_commits: dict[str, list[dict[str, Any]]] = {}  # repo -> "List commits" items
        self.hidden: set[tuple[str, str | None]] = set()  # (repo, token or None for every token) -> 404
        self.forbidden: set[tuple[str, str | None]] = set()  # -> 403
        self.no_writes: set[str] = set()  # repositories where writes answer 403
        self.statuses: dict[tuple[str, str], list[dict[str, Any]]] = {}  # (repo, sha) -> statuses, oldest first
        self.comments: dict[int, dict[str, Any]] = {}  # comment id -> {"repo", "issue", "body", "edits"}
        self._next_comment_id = 5000
        self.search_cap = SEARCH_CAP

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

    def add_repo(
        self,
        full_name: str,
        repo_id: int,
        *,
        private: bool = False,
        default_branch: str = "main",
        org: str | None = None,
    ) -> dict[str, Any]:
        owner, name = full_name.split("/")
        repo = {
            "id": repo_id,
            "name": name,
            "full_name": full_name,
            "private": private,
            "html_url": f"https://github.com/{full_name}",
            "default_branch": default_branch,
            "owner": {"login": owner, "id": repo_id + 1, "type": "Organization" if org else "User"},
        }
        self.repos[full_name.lower()] = repo
        if org is not None:
            self.orgs.setdefault(org.lower(), []).append(full_name)
        return repo

    def add_run(self, repo: str, run: dict[str, Any]) -> None:
        self.runs.setdefault(repo.lower(), []).append(run)

    def add_job(self, repo: str, job: dict[str, Any]) -> None:
        self.jobs.setdefault((repo.lower(), int(job["run_id"])), []).append(job)

    def add_listed_commit(self, repo: str, item: dict[str, Any]) -> None:
        self.listed_commits.setdefault(repo.lower(), []).append(item)

    def hide(self, repo: str, token: str | None = None) -> None:
        self.hidden.add((repo.lower(), token))

    def forbid(self, repo: str, token: str | None = None) -> None:
        self.forbidden.add((repo.lower(), token))

    def read_only(self, repo: str) -> None:
        self.no_writes.add(repo.lower())

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
        if request.method == "GET" and (match := ORG_REPOS.match(path)):
            return self._org_repos(match.group(1).lower(), request, token, limits)
        if (match := REPO.match(path)) and not DELIVERIES.match(path) and not ATTEMPTS.match(path):
            return self._repo_route(
                f"{match.group(1)}/{match.group(2)}".lower(), match.group(3) or "", request, token, limits
            )
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

    # ---- repositories, actions, commits, statuses, comments ------------------------------------------------
    def _access(self, repo: str, token: str, limits: dict[str, str], write: bool) -> Scripted | None:
        if repo not in self.repos or (repo, None) in self.hidden or (repo, token) in self.hidden:
            return Scripted(404, NOT_FOUND, limits)
        if (repo, None) in self.forbidden or (repo, token) in self.forbidden or (write and repo in self.no_writes):
            body = {"message": "Resource not accessible by integration", "documentation_url": "https://docs.github.com"}
            return Scripted(403, body, limits)
        return None

    def _repo_route(self, repo: str, rest: str, request: Seen, token: str, limits: dict[str, str]) -> Scripted:
        write = request.method in ("POST", "PATCH", "PUT", "DELETE")
        refused = self._access(repo, token, limits, write)
        if refused is not None:
            return refused
        method = request.method
        if method == "GET" and rest == "":
            permissions = {"admin": False, "push": repo not in self.no_writes, "pull": True}
            return Scripted(200, {**self.repos[repo], "permissions": permissions}, limits)
        if method == "GET" and RUNS.match(rest):
            return self._runs(repo, request, limits)
        if method == "GET" and (match := JOBS.match(rest)):
            return self._jobs(repo, int(match.group(1)), request, limits)
        if method == "GET" and rest == "/commits":
            return self._listed_commits(repo, request, limits)
        if method == "POST" and (match := STATUS.match(rest)):
            return self._status(repo, match.group(1).lower(), request, limits)
        if method == "POST" and (match := COMMENTS.match(rest)):
            return self._comment(repo, int(match.group(1)), request, limits)
        if method == "PATCH" and (match := COMMENT.match(rest)):
            return self._edit_comment(repo, int(match.group(1)), request, limits)
        return Scripted(404, NOT_FOUND, limits)

    def _paged(
        self,
        items: list[dict[str, Any]],
        request: Seen,
        limits: dict[str, str],
        key: str | None = None,
        total: int | None = None,
        cap: int | None = None,
    ) -> Scripted:
        try:
            per_page = max(1, min(int(request.query.get("per_page") or "30"), 100))
            page = max(1, int(request.query.get("page") or "1"))
        except ValueError:
            return Scripted(422, {"message": "Validation Failed"}, limits)
        reachable = items[:cap] if cap is not None else items
        chunk = reachable[(page - 1) * per_page : page * per_page]
        last = max(1, -(-len(reachable) // per_page))
        headers = dict(limits)
        if page < last:

            def link(number: int) -> str:
                params = {**request.query, "per_page": str(per_page), "page": str(number)}
                return f"{self.base_url}{request.path}?{urlencode(params)}"

            headers["link"] = f'<{link(page + 1)}>; rel="next", <{link(last)}>; rel="last"'
        body: Any = chunk if key is None else {"total_count": len(items) if total is None else total, key: chunk}
        return Scripted(200, body, headers)

    def _org_repos(self, org: str, request: Seen, token: str, limits: dict[str, str]) -> Scripted:
        if org not in self.orgs:
            return Scripted(404, NOT_FOUND, limits)
        visible = [
            {**self.repos[name.lower()]}
            for name in self.orgs[org]
            if self._access(name.lower(), token, limits, write=False) is None
        ]
        return self._paged(visible, request, limits)

    def _runs(self, repo: str, request: Seen, limits: dict[str, str]) -> Scripted:
        runs = list(self.runs.get(repo, []))
        created = request.query.get("created")
        if created is not None:
            bounds = created.split("..")
            try:
                low, high = (datetime.fromisoformat(b.replace("Z", "+00:00")) for b in bounds)
            except ValueError:
                return Scripted(422, {"message": "Validation Failed: created"}, limits)
            runs = [r for r in runs if low <= _when(r["created_at"]) <= high]
        status = request.query.get("status")
        if status is not None:
            runs = [r for r in runs if r.get("status") == status or r.get("conclusion") == status]
        runs.sort(key=lambda r: (_when(r["created_at"]), r["id"]), reverse=True)
        filtered = created is not None or status is not None
        return self._paged(runs, request, limits, "workflow_runs", cap=self.search_cap if filtered else None)

    def _jobs(self, repo: str, run_id: int, request: Seen, limits: dict[str, str]) -> Scripted:
        run = next((r for r in self.runs.get(repo, []) if r["id"] == run_id), None)
        if run is None:
            return Scripted(404, NOT_FOUND, limits)
        which = request.query.get("filter", "latest")
        if which not in ("latest", "all"):
            return Scripted(422, {"message": "Validation Failed: filter"}, limits)
        jobs = self.jobs.get((repo, run_id), [])
        if which == "latest":
            jobs = [j for j in jobs if j.get("run_attempt", 1) == run.get("run_attempt", 1)]
        return self._paged(jobs, request, limits, "jobs")

    def _listed_commits(self, repo: str, request: Seen, limits: dict[str, str]) -> Scripted:
        items = list(self.listed_commits.get(repo, []))
        for bound, keep in (("since", lambda w, b: w >= b), ("until", lambda w, b: w <= b)):
            if bound in request.query:
                limit = _when(request.query[bound])
                items = [c for c in items if keep(_when(c["commit"]["committer"]["date"]), limit)]
        items.sort(key=lambda c: _when(c["commit"]["committer"]["date"]), reverse=True)
        return self._paged(items, request, limits)

    def _status(self, repo: str, sha: str, request: Seen, limits: dict[str, str]) -> Scripted:
        body = _json_body(request)
        state, description = body.get("state"), body.get("description")
        if state not in STATUS_STATES:
            return Scripted(422, {"message": "Validation Failed", "errors": [{"field": "state"}]}, limits)
        if description is not None and (not isinstance(description, str) or len(description) > 140):
            return Scripted(422, {"message": "Validation Failed", "errors": [{"field": "description"}]}, limits)
        status = {
            "state": state,
            "description": description,
            "context": body.get("context") or "default",
            "target_url": body.get("target_url"),
        }
        self.statuses.setdefault((repo, sha), []).append(status)
        return Scripted(201, {"id": len(self.statuses[(repo, sha)]), **status}, limits)

    def _comment(self, repo: str, issue: int, request: Seen, limits: dict[str, str]) -> Scripted:
        body = _json_body(request).get("body")
        if not isinstance(body, str) or not body:
            return Scripted(422, {"message": "Validation Failed", "errors": [{"field": "body"}]}, limits)
        with self._lock:
            self._next_comment_id += 1
            comment_id = self._next_comment_id
        self.comments[comment_id] = {"repo": repo, "issue": issue, "body": body, "edits": 0}
        return Scripted(201, {"id": comment_id, "body": body}, limits)

    def _edit_comment(self, repo: str, comment_id: int, request: Seen, limits: dict[str, str]) -> Scripted:
        comment = self.comments.get(comment_id)
        body = _json_body(request).get("body")
        if comment is None or comment["repo"] != repo:
            return Scripted(404, NOT_FOUND, limits)
        if not isinstance(body, str) or not body:
            return Scripted(422, {"message": "Validation Failed", "errors": [{"field": "body"}]}, limits)
        comment["body"] = body
        comment["edits"] += 1
        return Scripted(200, {"id": comment_id, "body": body}, limits)

    def comments_on(self, repo: str, issue: int) -> list[dict[str, Any]]:
        return [c for c in self.comments.values() if c["repo"] == repo.lower() and c["issue"] == issue]


def _when(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def _json_body(request: Seen) -> dict[str, Any]:
    try:
        data = json.loads(request.body or b"{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
