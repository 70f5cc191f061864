"""GitHub REST reads and writes for the backfill and the pull-request summary, on top of :class:`GitHubApi`
(its rate gate, timeouts and headers).

Facts from GitHub's REST reference (API version 2022-11-28):

- ``GET /repos/{owner}/{repo}/actions/runs?created=A..B&status=completed&per_page=100`` answers
  ``{"total_count", "workflow_runs": [...]}``; a search with ``created`` (or ``status``, ``branch``, ``event``)
  returns at most 1,000 results, so a window with more must be split (``ecotrace.domain.backfill``).
- ``GET /repos/{owner}/{repo}/actions/runs/{run_id}/jobs?filter=all`` answers ``{"total_count", "jobs"}``;
  ``filter=all`` includes the jobs of earlier attempts (the default, ``latest``, only the last attempt's).
- ``GET /repos/{owner}/{repo}/commits?since=&until=`` lists the default branch's commits, newest first.
- ``GET /repos/{owner}/{repo}`` (id, full_name, private, default_branch); ``GET /orgs/{org}/repos``.
- Lists page on with ``Link: <url>; rel="next"``; ``per_page`` is at most 100.
- ``POST /repos/{owner}/{repo}/statuses/{sha}`` ``{state, target_url, description, context}``: GitHub shows the
  latest status of each context on the commit (at most 1,000 per sha and context).
- ``POST /repos/{owner}/{repo}/issues/{number}/comments`` ``{body}`` -> 201 ``{id}``;
  ``PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}`` ``{body}`` edits it.
- A repository the token cannot see answers 404 (private ones are hidden), one it may not read 403 ("Resource
  not accessible by integration"), a refused token 401; rate limits are :class:`RateLimitedError`.

5xx answers and unreachable hosts are retried a bounded number of times with back-off (``resilience``); then
:class:`GitHubServerError`. Pages are addressed by path and query only: a ``Link`` to another host is refused,
so the token is never sent anywhere but the configured API.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from ..clock import to_iso
from ..errors import UpstreamError
from ..resilience import retry_call, retry_policy
from .github_api import GitHubApi, RateLimitedError, split_repo

SEARCH_CAP = 1000  # results a filtered runs search returns at most
PER_PAGE = 100
_LINK = re.compile(r'<([^>]+)>\s*;\s*rel="([^"]+)"')

__all__ = [
    "SEARCH_CAP",
    "GitHubAccessError",
    "GitHubAuthError",
    "GitHubRest",
    "GitHubServerError",
    "Page",
    "RateLimitedError",
]


class GitHubAccessError(UpstreamError):
    """GitHub will not show this resource to the token (404, 403, or moved): asking again will not help."""

    code = "github_no_access"

    def __init__(self, message: str, http_status: int) -> None:
        super().__init__(message, details={"http_status": http_status})
        self.http_status = http_status


class GitHubAuthError(UpstreamError):
    """GitHub refused the token itself (401)."""

    code = "github_bad_credentials"


class GitHubServerError(UpstreamError):
    """GitHub failed (5xx) or could not be reached, after the retries."""

    code = "github_unavailable"
    transient = True

    def __init__(self, message: str, http_status: int | None = None) -> None:
        super().__init__(message, details={"http_status": http_status} if http_status else None)
        self.http_status = http_status


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    next: str | None  # the next page as path?query, or None on the last
    total_count: int | None = None


def next_link(header: str, base_url: str) -> str | None:
    """The ``rel="next"`` target of a Link header as path?query; None when there is none. A link to another
    origin than ``base_url`` is an error (the token would follow it)."""
    for target, rel in _LINK.findall(header or ""):
        target, rel = str(target), str(rel)
        if "next" not in rel.split():
            continue
        parts, base = urlsplit(target), urlsplit(base_url)
        if parts.netloc and (parts.scheme, parts.netloc) != (base.scheme, base.netloc):
            raise UpstreamError(f"GitHub's Link header points to another host ({parts.netloc}); not followed")
        prefix = base.path.rstrip("/")
        path = str(parts.path[len(prefix) :] if prefix and parts.path.startswith(prefix) else parts.path)
        return path + (f"?{parts.query}" if parts.query else "")
    return None


class GitHubRest:
    """Bounded REST calls with their outcomes typed; ``remaining``/``reset_at`` say what the limit allows."""

    def __init__(
        self,
        api: GitHubApi,
        *,
        attempts: int = 3,
        backoff_s: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
        per_page: int = PER_PAGE,
    ) -> None:
        self.api = api
        self.per_page = max(1, min(per_page, PER_PAGE))
        self.base_url = str(api.base_url)
        self._policy = retry_policy(attempts=attempts, base_s=backoff_s, max_backoff_s=4 * backoff_s, sleep=sleep)
        self.remaining: int | None = None  # x-ratelimit-remaining of the last answer
        self.reset_at: float | None = None  # x-ratelimit-reset (epoch seconds) of the last answer

    def __repr__(self) -> str:
        return f"GitHubRest({self.api!r})"

    @property
    def calls(self) -> int:
        """Requests sent with this client's token, retries included (and those others sent through its
        ``GitHubApi``, such as the commit enricher's)."""
        return self.api.requests_sent

    # ---- transport --------------------------------------------------------------------------------------
    def _once(self, method: str, url: str, params: Mapping[str, Any] | None, body: Any) -> httpx.Response:
        try:
            response = self.api.request(method, url, params=params, json=body)
        except RateLimitedError:
            raise
        except UpstreamError as exc:  # timeouts, refused connections
            raise GitHubServerError(exc.message) from exc
        remaining, reset = response.headers.get("x-ratelimit-remaining"), response.headers.get("x-ratelimit-reset")
        if remaining is not None and remaining.isdigit():
            self.remaining = int(remaining)
        if reset is not None and reset.isdigit():
            self.reset_at = float(reset)
        if response.status_code >= 500:
            where = f"GitHub {method} {url.split('?')[0]}"
            raise GitHubServerError(f"{where}: HTTP {response.status_code}", response.status_code)
        return response

    def _fetch(self, method: str, url: str, params: Mapping[str, Any] | None, body: Any) -> httpx.Response:
        """A 2xx answer (5xx retried first), or the typed error of the status."""
        response = retry_call(lambda: self._once(method, url, params, body), self._policy)
        status = response.status_code
        if 200 <= status < 300:
            return response
        where = f"GitHub {method} {url.split('?')[0]}"
        if status == 401:
            raise GitHubAuthError(f"{where}: the token was refused (401 Bad credentials)")
        said = _message(response)
        if status in (403, 404) or 300 <= status < 400:
            raise GitHubAccessError(f"{where}: HTTP {status}" + (f" ({said})" if said else ""), status)
        raise UpstreamError(f"{where}: HTTP {status} {said}".rstrip(), details={"http_status": status})

    def call(self, method: str, url: str, params: Mapping[str, Any] | None = None, body: Any = None) -> Any:
        """The JSON answer of a 2xx (None for an empty one); the typed errors above otherwise."""
        response = self._fetch(method, url, params, body)
        return _json(response, f"GitHub {method} {url.split('?')[0]}") if response.content else None

    def page(self, url: str, params: Mapping[str, Any] | None, key: str | None) -> Page:
        """One page of a list: ``key`` names the array inside an object answer (None: the answer is the array)."""
        response = self._fetch("GET", url, params, None)
        where = f"GitHub GET {url.split('?')[0]}"
        answer = _json(response, where)
        items = answer.get(key) if key and isinstance(answer, dict) else answer
        if not isinstance(items, list):
            raise UpstreamError(f"{where}: expected a list" + (f" in {key!r}" if key else ""))
        total = answer.get("total_count") if isinstance(answer, dict) else None
        return Page(
            [item for item in items if isinstance(item, dict)],
            next_link(response.headers.get("link", ""), self.base_url),
            total if isinstance(total, int) else None,
        )

    # ---- reads --------------------------------------------------------------------------------------------
    def repository(self, full_name: str) -> dict[str, Any]:
        owner, repo = split_repo(full_name)
        body = self.call("GET", f"/repos/{owner}/{repo}")
        if not isinstance(body, dict) or not isinstance(body.get("id"), int):
            raise UpstreamError(f"GitHub GET /repos/{owner}/{repo}: no repository in the answer")
        return body

    def org_repositories(self, org: str, page: str | None = None) -> Page:
        owner, _ = split_repo(f"{org}/x")
        return self.page(
            page or f"/orgs/{owner}/repos", None if page else {"per_page": self.per_page, "type": "all"}, None
        )

    def workflow_runs(self, full_name: str, start: datetime, end: datetime, page: str | None = None) -> Page:
        """Completed runs created in [start, end] (both inclusive), newest first."""
        owner, repo = split_repo(full_name)
        params = {"created": f"{_stamp(start)}..{_stamp(end)}", "status": "completed", "per_page": self.per_page}
        return self.page(page or f"/repos/{owner}/{repo}/actions/runs", None if page else params, "workflow_runs")

    def run_jobs(self, full_name: str, run_id: int, page: str | None = None) -> Page:
        owner, repo = split_repo(full_name)
        first = f"/repos/{owner}/{repo}/actions/runs/{int(run_id)}/jobs"
        return self.page(page or first, None if page else {"filter": "all", "per_page": self.per_page}, "jobs")

    def commits(
        self, full_name: str, since: datetime, until: datetime, page: str | None = None, per_page: int = PER_PAGE
    ) -> Page:
        owner, repo = split_repo(full_name)
        params = {"since": _stamp(since), "until": _stamp(until), "per_page": min(per_page, self.per_page)}
        return self.page(page or f"/repos/{owner}/{repo}/commits", None if page else params, None)

    # ---- writes -------------------------------------------------------------------------------------------
    def create_status(self, full_name: str, sha: str, *, state: str, description: str, context: str, url: str) -> None:
        owner, repo = split_repo(full_name)
        body = {"state": state, "description": description, "context": context, "target_url": url}
        self.call("POST", f"/repos/{owner}/{repo}/statuses/{sha}", body=body)

    def create_comment(self, full_name: str, number: int, body: str) -> int:
        owner, repo = split_repo(full_name)
        answer = self.call("POST", f"/repos/{owner}/{repo}/issues/{int(number)}/comments", body={"body": body})
        if not isinstance(answer, dict) or not isinstance(answer.get("id"), int):
            raise UpstreamError("GitHub created a comment but answered no id")
        return int(answer["id"])

    def update_comment(self, full_name: str, comment_id: int, body: str) -> None:
        owner, repo = split_repo(full_name)
        self.call("PATCH", f"/repos/{owner}/{repo}/issues/comments/{int(comment_id)}", body={"body": body})


def _stamp(moment: datetime) -> str:
    """GitHub's search form of a time: ``2026-11-25T12:00:00Z``."""
    return to_iso(moment)[:19] + "Z"


def _message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    message = body.get("message") if isinstance(body, dict) else None
    return str(message)[:200] if isinstance(message, str) else ""


def _json(response: httpx.Response, where: str) -> Any:
    try:
        return response.json()
    except ValueError as exc:
        raise UpstreamError(f"{where}: the answer is not JSON") from exc
