"""The ``advise`` action: for a repository (or the caller's repositories) and a period, what would cut its CI
emissions, from stored activities: time shifting for scheduled workflows, runner choice, cleaner regions.

Callers: a signed-in user asks for a repository they have activity in (their own rows show it), or, without one,
for the repositories of their activity in the period (at most :data:`MAX_REPOSITORIES`); server callers name the
repository. The advice reads every CI row of the repository in the period (not only the caller's), as a team's
schedules and runners are shared; it lists activity ids, never other people's logins.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from ...clock import Clock, to_iso, utc_now
from ...domain.carbon import CalculationConfig, default_methodology
from ...domain.validation import validated
from ...errors import ForbiddenError, ValidationError
from ...ports import Store
from ..accounts import linked_user
from ..emission_factors import EmissionFactorResolver
from ..emission_factors.history import IntensityHistory
from .runners import RunnerAdvisor
from .time_shift import TimeShiftAdvisor
from .work import has_activity_in, read_work, user_repositories

MAX_REPOSITORIES = 10
_NAME = r"[A-Za-z0-9_.-]{1,100}"
RepoName = Annotated[str, StringConstraints(pattern=rf"^{_NAME}/{_NAME}$")]


class AdviseRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: Literal["advise"]
    repository: RepoName | None = None
    days: int = Field(default=30, ge=1, le=90)


class Advisor:
    def __init__(
        self,
        store: Store,
        resolver: EmissionFactorResolver,
        history: IntensityHistory,
        *,
        config: CalculationConfig | None = None,
        candidate_regions: Sequence[str] = (),
        clock: Clock = utc_now,
    ) -> None:
        self.store = store
        self.resolver = resolver
        self.history = history
        self.config = config or CalculationConfig()
        self.candidate_regions = tuple(candidate_regions)
        self.clock = clock

    def advise(self, body: dict[str, Any], *, account_id: str | None, service: bool) -> dict[str, Any]:
        request = validated(AdviseRequest, body, "advise request")
        until = self.clock()
        since = until - timedelta(days=request.days)
        repositories = self._repositories(request, account_id, service, since)
        time_shift = TimeShiftAdvisor(self.resolver, self.history, self.config)
        runners = RunnerAdvisor(self.resolver, self.config, candidate_regions=self.candidate_regions, clock=self.clock)
        out = []
        for name in repositories:
            work = read_work(self.store, name, since, until)
            entry: dict[str, Any] = {"repository": name, "ci_rows_read": work.rows_read, "truncated": work.truncated}
            if work.repo_id is None or not (work.jobs or work.runs):
                entry["status"] = "not_enough_data"
                entry["reason"] = f"no CI activity of {name} is stored for the period"
            else:
                entry["status"] = "advice"
                entry["time_shift"] = time_shift.advise(work, since, until)
                entry["runners"] = runners.advise(work, float(request.days))
            out.append(entry)
        return {
            "ok": True,
            "period": {"since": to_iso(since), "until": to_iso(until), "days": request.days},
            "methodology_version": default_methodology().version,
            "repositories": out,
        }

    def _repositories(
        self, request: AdviseRequest, account_id: str | None, service: bool, since: datetime
    ) -> list[str]:
        if service:
            if request.repository is None:
                raise ValidationError('advise for a server caller needs "repository": "owner/name"')
            return [request.repository]
        user_id = str(linked_user(self.store, account_id)["$id"])
        if request.repository is not None:
            if not has_activity_in(self.store, user_id, request.repository):
                raise ForbiddenError(f"you have no activity in {request.repository}: advice is for your repositories")
            return [request.repository]
        found = user_repositories(self.store, user_id, since, MAX_REPOSITORIES)
        if not found:
            raise ValidationError("you have no activity in the period: nothing to advise on")
        return found
