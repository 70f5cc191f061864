"""Starting a backfill: who may, for which repositories, and the first slice.

- A signed-in user sends their GitHub token (the OAuth token of their Appwrite session, as for
  ``link_github_account``). GitHub is asked whose it is (``GET /user``): it must be the GitHub account linked to
  the caller. The repositories are then those that account can read: for an organisation, the ones
  ``GET /orgs/{org}/repos`` lists for that token; for named ones, each answers ``GET /repos/{owner}/{repo}``
  (a repository it cannot read is listed as ``no_access`` and not imported). The token serves these checks in
  this one execution and is never stored or logged.
- An operator (an API-key caller, ``scripts/backfill.py``) names repositories or an organisation directly.

The import itself reads GitHub with the deployment's token (``GITHUB_TOKEN``: a fine-grained token or a GitHub
App installation token with Actions, Contents and Metadata read), so slices can continue in later executions;
a repository that token cannot read is reported per repository. The same request on the same UTC day finds the
backfill already started (and continues it if its slices stopped).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from ...adapters.github_rest import GitHubAccessError, GitHubRest
from ...clock import Clock, to_iso, utc_now
from ...domain.backfill import DEFAULT_DAYS, MAX_DAYS, MAX_REPOS, Backfill, RepoState, RepoStatus
from ...domain.validation import validated
from ...errors import ConflictError, EcoTraceError, ForbiddenError, ValidationError
from ...ports import Store
from ...tables import backfills
from ..accounts import linked_user
from ..signup import GitHubIdentity
from .runner import BackfillRunner
from .units import SliceReport

log = logging.getLogger(__name__)

MAX_NAMED_REPOS = 50  # repositories named in one request (each is checked with the caller's token)
MAX_ORG_PAGES = 3  # of 100 repositories
REVIVE_SLICE_S = 8.0  # a slice run by the schedule itself (after its refresh), when it cannot start an execution
_NAME = r"[A-Za-z0-9_.-]{1,100}"
RepoName = Annotated[str, StringConstraints(pattern=rf"^{_NAME}/{_NAME}$")]
OrgName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$")]


class BackfillRequest(BaseModel):
    """``{"action": "backfill", "repositories": [...] | "organization": "...", "days": 90, ...}``."""

    model_config = ConfigDict(extra="forbid")
    action: Literal["backfill"]
    repositories: list[RepoName] | None = Field(default=None, min_length=1, max_length=MAX_NAMED_REPOS)
    organization: OrgName | None = None
    days: int = Field(default=DEFAULT_DAYS, ge=1, le=MAX_DAYS)
    include_commits: bool = True
    github_token: str | None = Field(default=None, min_length=1, max_length=255, repr=False)

    @model_validator(mode="after")
    def _one_target(self) -> BackfillRequest:
        if (self.repositories is None) == (self.organization is None):
            raise ValueError('give either "repositories" (["owner/name", ...]) or "organization"')
        return self

    @property
    def target(self) -> str:
        if self.organization is not None:
            return f"org:{self.organization.lower()}"
        names = sorted(dict.fromkeys(name.lower() for name in self.repositories or []))
        return "repos:" + ",".join(names)


@dataclass(frozen=True)
class Requester:
    kind: Literal["user", "operator"]
    account_id: str | None = None  # the Appwrite account of a user


def _entries(names: list[str]) -> list[RepoState]:
    seen: dict[str, RepoState] = {}
    for name in names:
        seen.setdefault(name.lower(), RepoState(repo=name))
    return list(seen.values())


class BackfillStarter:
    def __init__(
        self,
        store: Store,
        rest: GitHubRest,
        runner: BackfillRunner,
        *,
        identify: Callable[[str], GitHubIdentity],
        user_rest: Callable[[str], GitHubRest],
        clock: Clock = utc_now,
        database_id: str = "ecotrace-main",
    ) -> None:
        self.store = store
        self.rest = rest
        self.runner = runner
        self.identify = identify
        self.user_rest = user_rest
        self.clock = clock
        self.database_id = database_id

    def start(
        self, body: dict[str, Any], requester: Requester, *, first_slice_s: float | None = None
    ) -> dict[str, Any]:
        request = validated(BackfillRequest, body, "backfill request")
        user_id: str | None = None
        if requester.kind == "user":
            user_id, repos = self._for_user(request, requester)
        else:
            repos = self._for_operator(request)
        if not repos:
            raise ValidationError(f"no repository to import for {request.target}")
        now = self.clock()
        bf = Backfill(
            id=backfills.row_id(
                requester.account_id or "operator", request.target, request.days, now.date().isoformat()
            ),
            requested_by=requester.kind,
            target=request.target,
            days=request.days,
            since=now - timedelta(days=request.days),
            until=now,
            repos=repos,
            started_at=now,
            updated_at=now,
            user_id=user_id,
            account_id=requester.account_id,
            include_commits=request.include_commits,
            next_at=now,
            message="queued",
        )
        already = False
        try:
            self.store.create(backfills.NAME, bf.id, backfills.new_row(bf))
        except ConflictError:
            already = True
        report = self.runner.run_slice(bf.id, budget_s=first_slice_s)
        row = self.store.get(backfills.NAME, bf.id)
        current = backfills.from_row(row) if row is not None else bf
        return {
            "ok": True,
            "already_started": already,
            "backfill": backfills.public(current),
            "slice": {"outcome": report.outcome, "units": report.units, "continued": report.continued},
            "channel": f"databases.{self.database_id}.tables.{backfills.NAME}.rows.{bf.id}",
        }

    def resume(self, backfill_id: str) -> SliceReport:
        return self.runner.run_slice(backfill_id)

    def revive(self, limit: int = 5) -> dict[str, Any]:
        """For the schedule: the backfills whose next slice is due and not under way get it started again (as
        an async execution when this function may start one, else one slice here)."""
        due = self.runner.due(limit)
        started: list[str] = []
        for backfill_id in due:
            if self.runner.continuation is not None:
                try:
                    self.runner.continuation(backfill_id, None)
                    started.append(backfill_id)
                    continue
                except EcoTraceError as exc:
                    log.warning(
                        "backfill %s: cannot start an execution (%s); running a slice here", backfill_id, exc.message
                    )
            self.runner.run_slice(backfill_id, budget_s=REVIVE_SLICE_S)
            started.append(backfill_id)
            break  # one slice inline at most: the schedule's execution has other work
        return {"configured": True, "due": len(due), "started": started}

    # ---- which repositories -------------------------------------------------------------------------------
    def _for_operator(self, request: BackfillRequest) -> list[RepoState]:
        if request.organization is None:
            return _entries(list(request.repositories or []))
        return self._org(self.rest, request.organization)

    def _for_user(self, request: BackfillRequest, requester: Requester) -> tuple[str, list[RepoState]]:
        if not request.github_token or any(c.isspace() for c in request.github_token):
            raise ValidationError('a backfill started by a user needs "github_token": their GitHub OAuth token')
        linked = linked_user(self.store, requester.account_id)
        identity = self.identify(request.github_token)
        if str(identity.github_id) != str(linked.get("github_id")):
            raise ForbiddenError(
                f"the token belongs to GitHub account {identity.login}, not to the one linked to you; "
                "sign in with your linked GitHub account"
            )
        theirs = self.user_rest(request.github_token)
        if request.organization is not None:
            return str(linked["$id"]), self._org(theirs, request.organization)
        checked: list[RepoState] = []
        for entry in _entries(list(request.repositories or [])):
            try:
                meta = theirs.repository(entry.repo)
            except GitHubAccessError as exc:
                entry.status = RepoStatus.NO_ACCESS
                entry.error = {
                    "status": exc.http_status,
                    "message": f"your GitHub account cannot read {entry.repo} (HTTP {exc.http_status})",
                    "at": to_iso(self.clock()),
                }
            else:
                permissions = meta.get("permissions")
                if isinstance(permissions, dict) and permissions.get("pull") is False:
                    entry.status = RepoStatus.NO_ACCESS
                    entry.error = {"status": 403, "message": "your GitHub account may not read it", "at": None}
            checked.append(entry)
        return str(linked["$id"]), checked

    def _org(self, rest: GitHubRest, org: str) -> list[RepoState]:
        names: list[str] = []
        page: str | None = None
        try:
            for _ in range(MAX_ORG_PAGES):
                listed = rest.org_repositories(org, page)
                names.extend(str(item["full_name"]) for item in listed.items if isinstance(item.get("full_name"), str))
                page = listed.next
                if page is None or len(names) >= MAX_REPOS:
                    break
        except GitHubAccessError as exc:
            raise ValidationError(
                f"GitHub does not show organisation {org} to this token (HTTP {exc.http_status})"
            ) from exc
        if page is not None or len(names) > MAX_REPOS:
            log.warning("organisation %s has more than %d repositories; the first are backfilled", org, MAX_REPOS)
        return _entries(names[:MAX_REPOS])


def is_valid_id(value: object) -> bool:
    return isinstance(value, str) and re.fullmatch(r"bf_[0-9a-f]{32}", value) is not None
