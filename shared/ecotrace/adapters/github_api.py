"""GitHub REST API: commit line counts for push deliveries, and a hook's deliveries (list, redeliver).

Facts from the project's reference notes (``github-webhooks.md``), which cite GitHub's REST docs:
``GET /repos/{owner}/{repo}/commits/{ref}`` returns ``stats {additions, deletions, total}`` for the whole
commit (the ``files`` list paginates past 300 files, the stats do not); rate limits answer 403 or 429 and
carry ``x-ratelimit-remaining`` / ``x-ratelimit-reset`` and sometimes ``retry-after``.

Enrichment is a bonus: it runs within a time budget and a per-delivery commit cap, a few requests at a time,
cached per process, and it stops for everyone in the process once GitHub says the limit is reached (until the
reset time). What it cannot fetch keeps the estimate (``lines_estimated=True``).
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

import httpx
from cachetools import TTLCache

from ..domain.github import MAX_COUNT
from ..domain.models import Activity, ActivityType
from ..errors import UpstreamError, ValidationError

log = logging.getLogger(__name__)

API_URL = "https://api.github.com"
API_VERSION = "2022-11-28"
USER_AGENT = "EcoTrace-webhook"
DEFAULT_TIMEOUT = httpx.Timeout(5.0, connect=3.05)
_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")
_SHA = re.compile(r"^[0-9a-fA-F]{4,64}$")
_NEXT = re.compile(r'<([^>]+)>;\s*rel="next"')


class RateLimitedError(UpstreamError):
    """GitHub said the rate limit is reached; no request is sent until ``retry_at`` (epoch seconds)."""

    code = "github_rate_limited"

    def __init__(self, message: str, retry_at: float) -> None:
        super().__init__(message, details={"retry_at": retry_at})
        self.retry_at = retry_at


@dataclass(frozen=True)
class CommitStats:
    additions: int
    deletions: int


class RateGate:
    """Shared "stop until" time for every client in the process (limits are per token, not per call)."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self._until = 0.0
        self._lock = threading.Lock()

    def blocked_until(self) -> float:
        with self._lock:
            return self._until if self._until > self.clock() else 0.0

    def block(self, until: float) -> None:
        with self._lock:
            self._until = max(self._until, until)


_GATE = RateGate()
_CACHE: TTLCache[tuple[str, str], CommitStats] = TTLCache(maxsize=4096, ttl=24 * 3600)
_CACHE_LOCK = threading.Lock()


def split_repo(full_name: str) -> tuple[str, str]:
    owner, _, repo = full_name.partition("/")
    if not (_NAME.match(owner) and _NAME.match(repo)):
        raise ValidationError(f"not a repository name: {full_name!r}")
    return owner, repo


class GitHubApi:
    """A small, bounded GitHub REST client (httpx). Every call has a timeout; nothing is sent at import."""

    def __init__(
        self,
        token: str | None,
        *,
        base_url: str = API_URL,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        gate: RateGate | None = None,
        cache: TTLCache[tuple[str, str], CommitStats] | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        headers = {
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": API_VERSION,
            "User-Agent": USER_AGENT,
        }
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._client = httpx.Client(base_url=base_url, headers=headers, timeout=timeout, transport=transport)
        self.gate = gate or _GATE
        self.cache = cache if cache is not None else _CACHE
        self.requests_sent = 0

    def __repr__(self) -> str:  # the token never shows
        return f"GitHubApi(base_url={self.base_url!r})"

    @property
    def base_url(self) -> str:
        return str(self._client.base_url)

    def close(self) -> None:
        self._client.close()

    # ---- transport ------------------------------------------------------------------------------------
    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """One request through the rate gate (``ecotrace.adapters.github_rest`` builds on it): RateLimitedError
        when GitHub said to stop, UpstreamError when it cannot be reached; any other answer is returned."""
        return self._send(method, url, **kwargs)

    def _send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        until = self.gate.blocked_until()
        if until:
            raise RateLimitedError("GitHub rate limit reached earlier; not calling until it resets", until)
        self.requests_sent += 1
        try:
            response = self._client.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            raise UpstreamError(f"GitHub {method} {url}: {type(exc).__name__}: {exc}") from exc
        self._note_limits(response)
        return response

    def _note_limits(self, response: httpx.Response) -> None:
        now = self.gate.clock()
        remaining = response.headers.get("x-ratelimit-remaining")
        reset = _number(response.headers.get("x-ratelimit-reset"))
        retry_after = _number(response.headers.get("retry-after"))
        limited = response.status_code == 429 or (
            response.status_code == 403
            and (remaining == "0" or retry_after is not None or "rate limit" in response.text.lower())
        )
        if limited:
            until = now + retry_after if retry_after is not None else (reset if reset and reset > now else now + 60)
            self.gate.block(until)
            raise RateLimitedError(f"GitHub rate limit ({response.status_code}); stopping until {until:.0f}", until)
        if remaining == "0" and reset:
            self.gate.block(reset)  # this answer is good, the next would not be

    # ---- commits --------------------------------------------------------------------------------------
    def commit_stats(self, repo_full_name: str, sha: str) -> CommitStats:
        owner, repo = split_repo(repo_full_name)
        if not _SHA.match(sha):
            raise ValidationError(f"not a commit sha: {sha!r}")
        key = (f"{owner}/{repo}".lower(), sha.lower())
        with _CACHE_LOCK:
            hit = self.cache.get(key)
        if hit is not None:
            return hit
        response = self._send("GET", f"/repos/{owner}/{repo}/commits/{sha}", params={"per_page": 1})
        if response.status_code != 200:
            raise UpstreamError(f"GitHub commit {owner}/{repo}@{sha[:7]}: HTTP {response.status_code}")
        try:
            stats = response.json()["stats"]
            result = CommitStats(int(stats["additions"]), int(stats["deletions"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise UpstreamError(f"GitHub commit {owner}/{repo}@{sha[:7]}: unexpected body") from exc
        if not (0 <= result.additions <= MAX_COUNT and 0 <= result.deletions <= MAX_COUNT):
            raise UpstreamError(f"GitHub returned line counts outside 0..{MAX_COUNT}")
        with _CACHE_LOCK:
            self.cache[key] = result
        return result

    # ---- a hook's deliveries --------------------------------------------------------------------------
    def list_deliveries(self, repo_full_name: str, hook_id: int, *, max_pages: int = 10) -> list[dict[str, Any]]:
        """``GET /repos/{owner}/{repo}/hooks/{hook_id}/deliveries``, newest first, following cursor pages."""
        owner, repo = split_repo(repo_full_name)
        url: str | None = f"/repos/{owner}/{repo}/hooks/{int(hook_id)}/deliveries"
        params: dict[str, Any] | None = {"per_page": 100}
        out: list[dict[str, Any]] = []
        for _ in range(max_pages):
            if url is None:
                break
            response = self._send("GET", url, params=params)
            if response.status_code != 200:
                raise UpstreamError(f"GitHub list deliveries of hook {hook_id}: HTTP {response.status_code}")
            page = response.json()
            if not isinstance(page, list):
                raise UpstreamError("GitHub list deliveries: expected a JSON array")
            out.extend(item for item in page if isinstance(item, dict))
            match = _NEXT.search(response.headers.get("link", ""))
            url, params = (match.group(1), None) if match else (None, None)
        return out

    def redeliver(self, repo_full_name: str, hook_id: int, delivery_id: int) -> None:
        """``POST /repos/{owner}/{repo}/hooks/{hook_id}/deliveries/{delivery_id}/attempts`` (202 Accepted)."""
        owner, repo = split_repo(repo_full_name)
        path = f"/repos/{owner}/{repo}/hooks/{int(hook_id)}/deliveries/{int(delivery_id)}/attempts"
        response = self._send("POST", path)
        if response.status_code not in (200, 202):
            raise UpstreamError(f"GitHub redeliver {delivery_id}: HTTP {response.status_code}")


def failed_deliveries(deliveries: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The latest attempt of each delivery GUID that never got a 2xx (what to ask GitHub to redeliver)."""
    ok: set[str] = set()
    latest: dict[str, dict[str, Any]] = {}
    for item in deliveries:
        guid = str(item.get("guid") or item.get("id"))
        code = item.get("status_code")
        if isinstance(code, int) and 200 <= code < 300:
            ok.add(guid)
        latest.setdefault(guid, item)  # the API lists newest first
    return [item for guid, item in latest.items() if guid not in ok]


def _number(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


class GitHubCommitEnricher:
    """Real line counts for new commits of a push: the ``CommitEnricher`` the ingest service takes."""

    def __init__(self, api: GitHubApi, *, max_commits: int = 20, concurrency: int = 4, budget_s: float = 4.0) -> None:
        self.api = api
        self.max_commits = max_commits
        self.concurrency = concurrency
        self.budget_s = budget_s

    def enrich(self, repo_full_name: str, commits: Sequence[Activity]) -> list[Activity]:
        wanted = [a for a in commits if a.type is ActivityType.COMMIT][: self.max_commits]
        if not wanted or self.api.gate.blocked_until():
            return []
        deadline = time.monotonic() + self.budget_s
        done: list[Activity] = []
        pool = ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="gh-enrich")
        try:
            futures: dict[Future[CommitStats], Activity] = {
                pool.submit(self.api.commit_stats, repo_full_name, a.external_id): a for a in wanted
            }
            pending = set(futures)
            while pending:
                left = deadline - time.monotonic()
                if left <= 0:
                    log.warning(
                        "commit enrichment hit its %.1f s budget; %d commits keep estimates",
                        self.budget_s,
                        len(pending),
                    )
                    break
                finished, pending = wait(pending, timeout=left, return_when=FIRST_COMPLETED)
                for future in finished:
                    activity = futures[future]
                    try:
                        stats = future.result()
                    except RateLimitedError:
                        pending = set()  # everything still queued fails fast at the gate
                        continue
                    except (UpstreamError, ValidationError) as exc:
                        log.info("no line counts for %s: %s", activity.external_id[:7], exc.message)
                        continue
                    details = {**activity.details, "lines_source": "github_api"}
                    done.append(
                        activity.model_copy(
                            update={
                                "lines_added": stats.additions,
                                "lines_deleted": stats.deletions,
                                "lines_estimated": False,
                                "details": details,
                            }
                        )
                    )
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
        return done


_clients: dict[str, GitHubApi] = {}
_clients_lock = threading.Lock()


def enricher_from_token(token: str | None, **kwargs: Any) -> GitHubCommitEnricher | None:
    """The enricher when a GitHub token is configured, else None (estimates stay). One client per process and
    token, so warm executions reuse its connections."""
    if not token:
        return None
    with _clients_lock:
        api = _clients.get(token)
        if api is None:
            for old in _clients.values():
                old.close()
            _clients.clear()
            api = _clients[token] = GitHubApi(token)
    return GitHubCommitEnricher(api, **kwargs)
