"""The api-integrations function's use case: actions on emission factors and on the caller's own data.

Actions (JSON body ``{"action": ...}``), by caller (see the function's README for requests and answers):

- anyone allowed in: ``fetch_emission_factors`` (``region``: the seed's ``{"country", "state_province"}`` object
  or a string), ``fetch_emission_factors_batch`` (``regions``: at most :data:`MAX_BATCH_REGIONS`), ``health``
  (each source's breaker state, a database probe, cache hit rates; realtime subscribers on the local stack);
- signed-in users, about themselves only: ``link_github_account``, ``update_profile``
  (``ecotrace.services.profile``), ``export_my_data`` and ``delete_my_data`` (``ecotrace.services.personal_data``,
  resumable with ``cursor``);
- the schedule and server callers: ``refresh_cache`` (re-fetch expiring factor rows) and ``purge_deliveries``
  (retention, ``ecotrace.services.retention``); the hourly schedule with no body runs both, and collects the live
  zones' intensity history and restarts stopped backfills;
- signed-in users and server callers: ``backfill`` (``ecotrace.services.backfill``; users for what their linked
  GitHub account can read) and ``advise`` (``ecotrace.services.advise``; users for their repositories);
  ``backfill_continue`` (a backfill's next slice) is for the function's own executions and server callers.

Callers: signed-in users (Appwrite sets ``x-appwrite-user-id``), the schedule, and server callers with an
API key. Guests never reach the function: its execute permission is ``users``, so Appwrite refuses them (401)
at the executions API and on the function's domain. A user-less HTTP execution is therefore an API-key
caller. Deployments that open the function to guests anyway set ``ECOTRACE_SERVICE_TOKEN``: user-less callers
must then also send it in ``x-ecotrace-service-token``, and anyone else gets 401.
"""

from __future__ import annotations

import hmac
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from ..adapters.aws_carbon import AwsCarbonSource, boto3_available, summarise
from ..clock import utc_now
from ..domain.invocation import Invocation
from ..domain.models import EmissionFactor
from ..errors import EcoTraceError, ForbiddenError, NotConfiguredError, UnauthorizedError, ValidationError
from ..ports import Store
from ..resilience import CircuitBreaker
from ..settings import Settings
from . import health, personal_data, profile, retention
from .advise.service import Advisor
from .backfill.start import BackfillStarter, Requester, is_valid_id
from .emission_factors import EmissionFactorResolver
from .emission_factors.history import IntensityHistory

MAX_BATCH_REGIONS = 50
SERVICE_TOKEN_HEADER = "x-ecotrace-service-token"  # noqa: S105 - a header name, not a secret
USER_ACTIONS = ("link_github_account", "update_profile", "export_my_data", "delete_my_data")
SERVER_ACTIONS = ("refresh_cache", "purge_deliveries", "backfill_continue")
SHARED_ACTIONS = ("backfill", "advise")  # users (about what is theirs) and server callers
ACTIONS = (
    "fetch_emission_factors",
    "fetch_emission_factors_batch",
    "health",
    *SERVER_ACTIONS,
    *USER_ACTIONS,
    *SHARED_ACTIONS,
)
SCHEDULED = "scheduled"  # the hourly schedule without a body: refresh_cache, then purge_deliveries
# link_github_account(account_id, github_token) -> result; see ecotrace.services.signup
Linker = Callable[[str, object], dict[str, Any]]
# The backfill and the advisor as configured, built only when an action asks for them (the backfill raises
# NotConfiguredError without a GitHub token).
BackfillFactory = Callable[[], BackfillStarter]
AdvisorFactory = Callable[[], Advisor]


@dataclass(frozen=True)
class Caller:
    kind: str  # user | schedule | service
    user_id: str | None = None


def identify_caller(invocation: Invocation, headers: Mapping[str, str], settings: Settings) -> Caller:
    if invocation.user_id:
        return Caller("user", invocation.user_id)
    if invocation.trigger in ("schedule", "event"):
        return Caller("schedule")
    expected = settings.env.get("ECOTRACE_SERVICE_TOKEN", "")
    if not expected:
        return Caller("service")  # an API-key execution: Appwrite lets no guest in (execute = users)
    given = headers.get(SERVICE_TOKEN_HEADER, "")
    if given and hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8")):
        return Caller("service")
    raise UnauthorizedError("sign in, or call with the service token: guests may not use this function")


def factor_json(factor: EmissionFactor) -> dict[str, Any]:
    """The model plus the seed's field names (``factor_kg_co2_per_kwh``, ``confidence_rating``)."""
    body = factor.model_dump(mode="json")
    body["factor_kg_co2_per_kwh"] = round(factor.kg_co2e_per_kwh, 9)
    body["confidence_rating"] = factor.confidence.value
    return body


AWS_FAILURE_THRESHOLD = 2  # two failed hourly refreshes in a row ...
AWS_COOL_DOWN_S = 6 * 3600.0  # ... and AWS is left alone for six hours (then one probe)


def _aws_counts_as_failure(exc: BaseException) -> bool:
    return not isinstance(exc, NotConfiguredError)  # boto3 or credentials missing: configuration, not an outage


class AwsReport:
    """AWS's own per-region emissions for the last full months, read through a circuit breaker that outlives the
    execution (one per process), so a failing AWS is not asked on every refresh and health shows its state."""

    def __init__(self, settings: Settings, source: AwsCarbonSource | None, breaker: CircuitBreaker) -> None:
        self._uri = settings.env.get("ECOTRACE_AWS_CARBON_S3_URI", "")
        self._use_api = settings.env.get("ECOTRACE_AWS_CARBON_API", "") == "1"
        self._region = settings.env.get("AWS_REGION", "us-east-1")
        self._source = source
        self.breaker = breaker

    def __call__(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        try:
            self.breaker.call(lambda: self._collect(out))
        except EcoTraceError as exc:
            out["error"] = {"code": exc.code, "message": exc.message}
        return out

    def _collect(self, out: dict[str, Any]) -> None:
        aws = self._source or AwsCarbonSource(region_name=self._region)
        if self._uri:
            bucket, _, prefix = self._uri.removeprefix("s3://").partition("/")
            out["s3_export"] = summarise(aws.from_s3_export(bucket, prefix))
        if self._use_api:
            today = utc_now().date()
            end = date(today.year, today.month, 1)
            start = (end - timedelta(days=92)).replace(day=1)
            out["sustainability_api"] = summarise(aws.from_api(start, end))

    def health(self) -> dict[str, Any]:
        return self.breaker.snapshot()


_aws_breaker = CircuitBreaker(
    "aws_carbon",
    failure_threshold=AWS_FAILURE_THRESHOLD,
    cool_down_s=AWS_COOL_DOWN_S,
    counts_as_failure=_aws_counts_as_failure,
)


def aws_report_for(
    settings: Settings, source: AwsCarbonSource | None = None, *, breaker: CircuitBreaker | None = None
) -> AwsReport | None:
    """AWS's own per-region emissions for the last full months, when configured: ``ECOTRACE_AWS_CARBON_S3_URI``
    (``s3://bucket/prefix`` of the carbon Data Export) and/or ``ECOTRACE_AWS_CARBON_API=1`` (the
    ``sustainability`` API). Credentials come from the standard AWS chain. None when not configured."""
    if not settings.env.get("ECOTRACE_AWS_CARBON_S3_URI", "") and settings.env.get("ECOTRACE_AWS_CARBON_API") != "1":
        return None
    return AwsReport(settings, source, breaker or _aws_breaker)


def handle(
    body: Mapping[str, Any],
    caller: Caller,
    resolver: EmissionFactorResolver,
    *,
    aws: AwsReport | None = None,
    link: Linker | None = None,
    store: Store | None = None,
    env: Mapping[str, str] | None = None,
    backfill: BackfillFactory | None = None,
    advise: AdvisorFactory | None = None,
) -> dict[str, Any]:
    """``store``: the execution's store, for the actions on people's data, retention and the health probe."""
    action = body.get("action", SCHEDULED if caller.kind == "schedule" and not body else None)
    if action not in (*ACTIONS, SCHEDULED) or (action == SCHEDULED and caller.kind != "schedule"):
        raise ValidationError(f"unknown action {action!r}; one of: {', '.join(ACTIONS)}", details={"actions": ACTIONS})
    if action == "fetch_emission_factors":
        if "region" not in body:
            raise ValidationError(
                'fetch_emission_factors needs "region", e.g. {"country": "US", "state_province": "CA"}'
            )
        return {"ok": True, "factor": factor_json(resolver.resolve(body["region"]))}
    if action == "fetch_emission_factors_batch":
        regions = body.get("regions")
        if not isinstance(regions, list) or not regions:
            raise ValidationError('fetch_emission_factors_batch needs "regions": a non-empty list')
        if len(regions) > MAX_BATCH_REGIONS:
            raise ValidationError(f"at most {MAX_BATCH_REGIONS} regions per batch; got {len(regions)}")
        return {"ok": True, "factors": [factor_json(f) for f in resolver.resolve_many(regions)]}
    if action == "health":
        return health_report(resolver, aws, store, env or {})
    if action in USER_ACTIONS:
        if caller.kind != "user" or not caller.user_id:
            raise ForbiddenError(f"{action} is about the signed-in caller's own data: sign in first")
        if action == "link_github_account":
            if link is None:
                raise ValidationError("link_github_account is not available here")
            return link(caller.user_id, body.get("github_token"))
        return own_data(action, caller.user_id, body, _needs(store, action))
    if action == "advise":
        if advise is None:
            raise ValidationError("advise is not available here")
        return advise().advise(dict(body), account_id=caller.user_id, service=caller.kind != "user")
    if action in ("backfill", "backfill_continue"):
        return _backfill(action, body, caller, backfill)
    if caller.kind == "user":
        raise ForbiddenError(f"{action} runs on the schedule or for server callers, not for users")
    result: dict[str, Any] = {"ok": True}
    if action in ("refresh_cache", SCHEDULED):
        result["refresh"] = resolver.refresh().as_dict()
        if aws is not None:
            result["aws_carbon"] = aws()
        if resolver.store is not None and resolver.live is not None:
            history = IntensityHistory(resolver.store, resolver.store_breaker, live=resolver.live)
            result["intensity_history"] = history.collect()
        if backfill is not None and caller.kind == "schedule":
            result["backfills"] = _due_backfills(backfill)
    if action == "purge_deliveries" or (action == SCHEDULED and store is not None):
        report = retention.purge(_needs(store, action), retention.RetentionPolicy.from_env(env or {}))
        result["retention"] = report.as_dict()
    return result


def _backfill(action: str, body: Mapping[str, Any], caller: Caller, backfill: BackfillFactory | None) -> dict[str, Any]:
    """``backfill`` starts one (users for what their linked GitHub account can read; server callers for any
    repository); ``backfill_continue`` runs its next slice (the function's own async executions and the schedule
    only)."""
    if backfill is None:
        raise ValidationError(f"{action} is not available here")
    if action == "backfill":
        user = caller.kind == "user"
        requester = Requester("user", caller.user_id) if user else Requester("operator")
        return backfill().start(dict(body), requester)
    if caller.kind == "user":
        raise ForbiddenError("backfill_continue is for the backfill's own executions; start it again to resume it")
    backfill_id = body.get("backfill_id")
    if not is_valid_id(backfill_id):
        raise ValidationError('backfill_continue needs "backfill_id": the id the backfill action answered')
    assert isinstance(backfill_id, str)
    return {"ok": True, **backfill().resume(backfill_id).as_dict()}


def _due_backfills(backfill: BackfillFactory) -> dict[str, Any]:
    """On the hourly schedule: start the next slice of backfills whose chain of executions stopped."""
    try:
        starter = backfill()
    except NotConfiguredError:
        return {"configured": False}
    return starter.revive()


def _needs(store: Store | None, action: str) -> Store:
    if store is None:
        raise ValidationError(f"{action} is not available here")
    return store


def own_data(action: str, account_id: str, body: Mapping[str, Any], store: Store) -> dict[str, Any]:
    """``update_profile``, ``export_my_data``, ``delete_my_data`` for the caller's own account."""
    if action == "update_profile":
        return profile.update_profile(store, account_id, body)
    unknown = sorted(set(body) - {"action", "cursor", "confirm"})
    if unknown:
        raise ValidationError(
            f"unknown field(s): {', '.join(unknown)}; allowed: cursor"
            + (", confirm" if action == "delete_my_data" else "")
        )
    subject = personal_data.subject_for_account(store, account_id)
    if action == "export_my_data":
        if subject.empty:
            return {
                "ok": True,
                "done": True,
                "next_cursor": None,
                "tables": {},
                "deliveries": [],
                "message": "nothing is stored about you",
            }
        return personal_data.PersonalData(store).export(subject, body.get("cursor"))
    if body.get("confirm") is not True:
        raise ValidationError('delete_my_data erases everything stored about you: send "confirm": true')
    if subject.empty:
        return {"ok": True, "done": True, "next_cursor": None, "removed": {}, "message": "nothing is stored about you"}
    return {**personal_data.PersonalData(store).erase(subject, body.get("cursor")), "note": ERASE_NOTE}


ERASE_NOTE = (
    "Your Appwrite account itself (e-mail, sessions) is kept by Appwrite: block it with account.updateStatus() "
    "or ask an operator to delete it. GitHub activity that arrives after this is recorded again, as for anyone "
    "who has not signed up."
)


def health_report(
    resolver: EmissionFactorResolver, aws: AwsReport | None, store: Store | None, env: Mapping[str, str]
) -> dict[str, Any]:
    report = resolver.health()
    aws_state: dict[str, Any] = {"configured": aws is not None, "boto3_installed": boto3_available()}
    if aws is not None:
        aws_state.update(aws.health())
    report["sources"]["aws_carbon"] = aws_state
    report["cache"] = resolver.cache_stats()
    if store is not None:
        report["database"] = health.database_probe(store)
        if env.get("APPWRITE_REGION") == "local":
            report["realtime"] = health.local_realtime(store)
    return {"ok": True, **report}


_shared: dict[tuple[str | None, str | None], EmissionFactorResolver] = {}
_shared_lock = threading.Lock()


def resolver_for(settings: Settings, store: Store) -> EmissionFactorResolver:
    """One resolver per process and configuration, so the memory cache and the breakers outlive an execution.
    Each execution gets a shallow copy bound to its own store (its own key): caches, breakers and the client
    are the shared objects, so concurrent executions never use each other's store."""
    config = (settings.electricity_maps_api_key, settings.env.get("ELECTRICITY_MAPS_BASE_URL"))
    with _shared_lock:
        resolver = _shared.get(config)
        if resolver is None:
            resolver = EmissionFactorResolver.from_settings(settings)
            _shared.clear()
            _shared[config] = resolver
    return resolver.with_store(store)
