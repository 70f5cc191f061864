"""Use case: the carbon of activities, computed with the versioned method and written with its audit trail.

Entry points:

- :func:`carbon_for_ingest` for the webhook: activities in, activities with carbon + ``calculations`` rows out,
  written by the caller in its own transaction;
- :class:`CarbonCalculator` for the carbon-calculator function: the row-created event, and the signed-in
  user's actions ``calculate``, ``recalculate`` (resumable batches) and ``estimate`` (what-if, nothing stored).

A result is written in ONE transaction: upsert the ``calculations`` row (id from activity id + method version,
so a recalculation replaces it), update the activity's carbon columns, and add the change (new - old) to
``user_stats/<user_id>.carbon_kg`` when that row exists.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, Literal, Protocol, TypeVar

import pydantic
from appwrite.query import Query
from pydantic import BaseModel, ConfigDict, Field

from ..clock import Clock, utc_now
from ..domain.carbon import (
    CalculationConfig,
    CarbonResult,
    SelfHostedConfig,
    activity_carbon_columns,
    apply_result,
    calculate,
    calculation_row,
    default_methodology,
    plan_for,
)
from ..domain.models import Activity, ActivityType, EmissionFactor
from ..entrypoints.http import Invocation
from ..errors import ConflictError, NotConfiguredError, NotFoundError, UnauthorizedError, ValidationError
from ..ports import ROW_ID, Row, Store
from ..settings import Settings

log = logging.getLogger(__name__)

ACTIVITIES = "activities"
CALCULATIONS = "calculations"
USERS = "users"
USER_STATS = "user_stats"
PAGE_SIZE = 50
ACTIVITIES_PER_TRANSACTION = 40  # 2 operations each + 1 increment per user, under Appwrite's 100
DEFAULT_BUDGET_S = 20.0  # of the function's 30 s timeout; the rest is margin for the last write
WRITE_ATTEMPTS = 6  # concurrent writers of the same user_stats row make a transaction conflict (409)
BACKOFF_S = 0.05
LIVE_BUDGET_S = 10.0  # at most this long per batch waiting on the live grid-intensity source
LIVE_CALL_RESERVE_S = 11.0  # a live fetch, once started, may take this long (2 tries x 5 s read timeout + backoff)
IngestCarbon = Callable[[Sequence[Activity]], tuple[list[Activity], list[dict[str, Any]]]]


class FactorLookup(Protocol):
    """Anything that turns a region key into a grid intensity and never raises for a string or None
    (``ecotrace.services.emission_factors.EmissionFactorResolver``). A lookup that also has
    ``resolve_many(regions, *, live_budget_s)`` (the resolver does) is asked once per batch, with a time budget."""

    def resolve(self, region: str | None) -> EmissionFactor: ...


def factors_for(
    factors: FactorLookup, regions: Sequence[str | None], live_budget_s: float = LIVE_BUDGET_S
) -> dict[str | None, EmissionFactor]:
    """One factor per distinct region: a batch asks a slow or failing live source once per region, not once per
    activity, and for at most ``live_budget_s`` in all when the lookup supports a budget."""
    unique = list(dict.fromkeys(regions))
    many = getattr(factors, "resolve_many", None)
    if callable(many):
        found = list(many(unique, live_budget_s=max(0.0, live_budget_s)))
        if len(found) == len(unique) and all(isinstance(f, EmissionFactor) for f in found):
            return dict(zip(unique, found, strict=True))
    return {region: factors.resolve(region) for region in unique}


def config_from_settings(settings: Settings) -> CalculationConfig:
    """The method's deployment choices from the environment (a malformed value names its variable)."""
    try:
        self_hosted = SelfHostedConfig.from_env(settings.env)
    except ValueError as exc:
        raise NotConfiguredError(str(exc)) from exc
    return CalculationConfig(
        default_ci_region=settings.default_ci_region,
        default_git_region=settings.env.get("ECOTRACE_DEFAULT_GIT_REGION") or None,
        self_hosted=self_hosted,
    )


def calculate_activity(
    activity: Activity, factors: FactorLookup, now: datetime, config: CalculationConfig | None = None
) -> CarbonResult:
    plan = plan_for(activity, config)
    return calculate(plan, factors.resolve(plan.region), now)


def carbon_for_ingest(
    factors: FactorLookup, clock: Clock = utc_now, config: CalculationConfig | None = None
) -> IngestCarbon:
    """For the webhook: returns the activities with carbon filled and their ``calculations`` rows (each with
    ``$id``; the caller adds ``$permissions``) to write in the delivery's transaction."""

    def run(activities: Sequence[Activity]) -> tuple[list[Activity], list[dict[str, Any]]]:
        now = clock()
        plans = [plan_for(activity, config) for activity in activities]
        found = factors_for(factors, [plan.region for plan in plans])
        filled: list[Activity] = []
        rows: list[dict[str, Any]] = []
        for plan in plans:
            result = calculate(plan, found[plan.region], now)
            filled.append(apply_result(plan.activity, result))
            rows.append(calculation_row(result))
        return filled, rows

    return run


# ---- rows <-> activities ----------------------------------------------------------------------------

_ACTIVITY_FIELDS = set(Activity.model_fields) - {"id"}


def activity_from_row(row: Mapping[str, Any]) -> Activity:
    """An ``activities`` row (Appwrite JSON) as an Activity; a malformed row raises ValidationError."""
    data: dict[str, Any] = {k: v for k, v in row.items() if k in _ACTIVITY_FIELDS}
    data["id"] = row.get("$id")
    details = data.get("details")
    if isinstance(details, str):
        try:
            data["details"] = json.loads(details) if details else {}
        except json.JSONDecodeError:
            data["details"] = {}
    if not isinstance(data.get("details"), dict):
        data["details"] = {}
    if data.get("runner_labels") is None:
        data["runner_labels"] = []
    for key in ("is_bot", "lines_estimated"):
        if data.get(key) is None:
            data.pop(key, None)
    if data.get("counted") is None:
        data["counted"] = True
    return _validated(Activity, data, "activity")


_M = TypeVar("_M", bound=BaseModel)


def _validated(model: type[_M], data: Any, what: str) -> _M:
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or what
        raise ValidationError(
            f"{what}.{where}: {first['msg']}" if where != what else f"{what}: {first['msg']}",
            details={"field": where, "errors": len(exc.errors())},
        ) from exc


# ---- requests -------------------------------------------------------------------------------------


class CalculateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: Literal["calculate"]
    activity_id: str = Field(pattern=ROW_ID.pattern)


class RecalculateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: Literal["recalculate"]
    cursor: str | None = Field(default=None, pattern=ROW_ID.pattern)


class DescribedActivity(BaseModel):
    """A what-if activity: only the facts the method uses."""

    model_config = ConfigDict(extra="forbid")
    type: ActivityType
    duration_s: float | None = Field(default=None, ge=0, le=30 * 86400, allow_inf_nan=False)
    runner_labels: list[str] = Field(default_factory=list, max_length=20)
    region: str | None = Field(default=None, max_length=64)
    repo_private: bool | None = None
    files_changed: int | None = Field(default=None, ge=0, le=10**7)
    lines_added: int | None = Field(default=None, ge=0, le=10**9)
    lines_deleted: int | None = Field(default=None, ge=0, le=10**9)
    lines_estimated: bool = False
    artifact_bytes: float | None = Field(default=None, ge=0, le=1e13, allow_inf_nan=False)

    def to_activity(self, now: datetime) -> Activity:
        details: dict[str, Any] = {}
        if self.repo_private is not None:
            details["repo_private"] = self.repo_private
        if self.artifact_bytes is not None:
            details["artifact_bytes"] = self.artifact_bytes
        return Activity(
            id="estimate",
            user_id="estimate",
            github_login="estimate",
            type=self.type,
            repo_id="",
            repo_full_name="",
            external_id="estimate",
            source_event="estimate",
            timestamp=now,
            duration_s=self.duration_s,
            runner_labels=[label[:100] for label in self.runner_labels],
            region=self.region,
            files_changed=self.files_changed,
            lines_added=self.lines_added,
            lines_deleted=self.lines_deleted,
            lines_estimated=self.lines_estimated,
            details=details,
        )


class EstimateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: Literal["estimate"]
    activity: DescribedActivity


_ACTIONS: dict[str, type[BaseModel]] = {
    "calculate": CalculateRequest,
    "recalculate": RecalculateRequest,
    "estimate": EstimateRequest,
}


def result_json(result: CarbonResult) -> dict[str, Any]:
    return result.model_dump(mode="json")


# ---- the service ----------------------------------------------------------------------------------


class CarbonCalculator:
    def __init__(
        self,
        store: Store,
        factors: FactorLookup,
        clock: Clock = utc_now,
        config: CalculationConfig | None = None,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        budget_s: float = DEFAULT_BUDGET_S,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.store = store
        self.factors = factors
        self.clock = clock
        self.config = config or CalculationConfig()
        self.monotonic = monotonic
        self.budget_s = budget_s
        self.sleep = sleep
        self.version = default_methodology().version

    # ---- dispatch -------------------------------------------------------------------------------
    def handle(self, body: Mapping[str, Any], invocation: Invocation) -> dict[str, Any]:
        if invocation.trigger == "event":
            return self.on_row_created(body)
        if not invocation.user_id:
            raise UnauthorizedError("sign in to use the carbon calculator (no x-appwrite-user-id)")
        action = body.get("action")
        if not isinstance(action, str) or action not in _ACTIONS:
            raise ValidationError(f"action: must be one of {', '.join(sorted(_ACTIONS))}", details={"field": "action"})
        request = _validated(_ACTIONS[action], body, "body")
        if isinstance(request, CalculateRequest):
            return self.calculate_for(invocation.user_id, request.activity_id)
        if isinstance(request, RecalculateRequest):
            return self.recalculate(invocation.user_id, request.cursor)
        assert isinstance(request, EstimateRequest)
        return self.estimate(request.activity)

    # ---- event: an activity row was created ------------------------------------------------------
    def on_row_created(self, body: Mapping[str, Any]) -> dict[str, Any]:
        row_id = body.get("$id")
        if not isinstance(row_id, str) or not ROW_ID.match(row_id):
            raise ValidationError("$id: the event body is not an activities row", details={"field": "$id"})
        if body.get("$tableId") not in (None, ACTIVITIES):
            return {"ok": True, "status": "ignored", "reason": f"not an {ACTIVITIES} row"}
        if body.get("methodology_version") == self.version and body.get("carbon_kg") is not None:
            return {"ok": True, "status": "current", "activity_id": row_id, "methodology_version": self.version}
        # The stored row, not the body: current values, and a forged body can only recompute a real row.
        found, results = self._calculate_and_write([row_id], only_stale=True)
        if not found:
            return {"ok": True, "status": "ignored", "reason": "the activity no longer exists"}
        if not results:
            return {"ok": True, "status": "current", "activity_id": row_id, "methodology_version": self.version}
        return {"ok": True, "status": "calculated", "result": result_json(results[0])}

    # ---- direct executions --------------------------------------------------------------------------
    def calculate_for(self, account_id: str, activity_id: str) -> dict[str, Any]:
        row = self.store.get(ACTIVITIES, activity_id)
        if row is None or not self._owned_by(account_id, str(row.get("user_id") or "")):
            raise NotFoundError(f"activity {activity_id} not found")
        found, results = self._calculate_and_write([activity_id], only_stale=False)
        if not found:
            raise NotFoundError(f"activity {activity_id} not found")
        return {"ok": True, "status": "calculated", "result": result_json(results[0])}

    def recalculate(self, account_id: str, cursor: str | None) -> dict[str, Any]:
        """The caller's activities whose method version differs, in $id order after ``cursor``, until the
        time budget is spent. Returns ``next_cursor`` (None when done). Rerunning is harmless."""
        started = self.monotonic()
        deadline = started + self.budget_s
        user_ids = [str(u["$id"]) for u in self.store.find(USERS, [Query.equal("account_id", account_id)])]
        if not user_ids:
            return {
                "ok": True,
                "done": True,
                "next_cursor": None,
                "checked": 0,
                "recalculated": 0,
                "skipped": [],
                "methodology_version": self.version,
            }
        checked = recalculated = 0
        skipped: list[dict[str, str]] = []
        position = cursor
        done = False
        while self.monotonic() - started < self.budget_s:
            queries = [Query.equal("user_id", user_ids), Query.order_asc("$id"), Query.limit(PAGE_SIZE)]
            if position is not None:
                queries.append(Query.greater_than("$id", position))
            page = self.store.find(ACTIVITIES, queries)
            stale: list[str] = []
            for r in page:
                if not self._stale(r):
                    continue
                try:
                    activity_from_row(r)
                except ValidationError as exc:  # one malformed row must not block the rest, forever
                    skipped.append({"activity_id": str(r["$id"]), "error": exc.message[:200]})
                    continue
                stale.append(str(r["$id"]))
            for i in range(0, len(stale), ACTIVITIES_PER_TRANSACTION):
                batch = stale[i : i + ACTIVITIES_PER_TRANSACTION]
                _, results = self._calculate_and_write(batch, only_stale=True, deadline=deadline)
                recalculated += len(results)
            checked += len(page)
            if page:
                position = str(page[-1]["$id"])
            if len(page) < PAGE_SIZE:
                done = True
                break
        return {
            "ok": True,
            "done": done,
            "next_cursor": None if done else position,
            "checked": checked,
            "recalculated": recalculated,
            "skipped": skipped[:20],
            "methodology_version": self.version,
        }

    def estimate(self, described: DescribedActivity) -> dict[str, Any]:
        now = self.clock()
        result = calculate_activity(described.to_activity(now), self.factors, now, self.config)
        return {"ok": True, "status": "estimated", "stored": False, "result": result_json(result)}

    # ---- helpers --------------------------------------------------------------------------------------
    def _owned_by(self, account_id: str, user_id: str) -> bool:
        if not user_id or not ROW_ID.match(user_id):
            return False
        user = self.store.get(USERS, user_id)
        return user is not None and user.get("account_id") == account_id

    def _stale(self, row: Row) -> bool:
        return row.get("methodology_version") != self.version or row.get("carbon_kg") is None

    def _calculate_and_write(
        self, row_ids: Sequence[str], *, only_stale: bool, deadline: float | None = None
    ) -> tuple[bool, list[CarbonResult]]:
        """Read the rows fresh, calculate, write in one transaction; on a conflict (another writer touched
        one of the rows, typically the same ``user_stats`` row) read again and retry with backoff.
        With a ``deadline`` (monotonic), no live fetch is started that could run past it.
        Returns (whether any row exists, the results written)."""
        for attempt in range(WRITE_ATTEMPTS):
            rows = self.store.get_many(ACTIVITIES, row_ids)
            todo = [rows[i] for i in row_ids if i in rows and (self._stale(rows[i]) or not only_stale)]
            if not todo:
                return bool(rows), []
            items = self._compute(todo, deadline)
            try:
                self._write(items)
            except ConflictError:
                if attempt == WRITE_ATTEMPTS - 1:
                    raise
                delay = BACKOFF_S * 2**attempt * (1 + random.random())  # noqa: S311 - jitter, not security
                log.info("carbon write conflicted (attempt %d); retrying in %.3f s", attempt + 1, delay)
                self.sleep(delay)
                continue
            return True, [result for _, result in items]
        raise AssertionError("unreachable")  # pragma: no cover

    def _compute(self, rows: Sequence[Row], deadline: float | None) -> list[tuple[Row, CarbonResult]]:
        now = self.clock()
        plans = [plan_for(activity_from_row(row), self.config) for row in rows]
        live_budget_s = LIVE_BUDGET_S
        if deadline is not None:
            live_budget_s = min(live_budget_s, deadline - LIVE_CALL_RESERVE_S - self.monotonic())
        found = factors_for(self.factors, [plan.region for plan in plans], live_budget_s)
        return [(row, calculate(plan, found[plan.region], now)) for row, plan in zip(rows, plans, strict=True)]

    def _write(self, items: Sequence[tuple[Row, CarbonResult]]) -> None:
        deltas: dict[str, float] = {}
        for row, result in items:
            old_kg = row.get("carbon_kg")
            deltas[result.user_id] = deltas.get(result.user_id, 0.0) + result.carbon_kg - float(old_kg or 0.0)
        stats = self.store.get_many(USER_STATS, [u for u, d in deltas.items() if d and ROW_ID.match(u)])
        with self.store.transaction() as tx:
            for row, result in items:
                calc = calculation_row(result)
                calc_id = calc.pop("$id")
                calc["$permissions"] = list(row.get("$permissions") or [])
                tx.upsert(CALCULATIONS, calc_id, calc)
                tx.update(ACTIVITIES, result.activity_id, activity_carbon_columns(result))
            for user_id, delta in deltas.items():
                if user_id in stats:
                    tx.increment(USER_STATS, user_id, "carbon_kg", delta)
        for _, result in items:
            log.info(
                "carbon %s %s kg (%s) v%s",
                result.activity_id,
                f"{result.carbon_kg:.6g}",
                result.confidence.value,
                result.methodology_version,
            )
