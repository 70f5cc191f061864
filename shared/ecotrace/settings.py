"""Settings, read once from the function's environment into a frozen object.

Appwrite gives each function ``APPWRITE_FUNCTION_API_ENDPOINT`` and ``APPWRITE_FUNCTION_PROJECT_ID``;
the API key is not in the environment: each execution carries it in the ``x-appwrite-key`` header.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from .clock import parse_iso
from .domain.rate_limit import (
    DEFAULT_IP_MAX_REQUESTS,
    DEFAULT_MAX_REQUESTS,
    DEFAULT_WEBHOOK_MAX_REQUESTS,
    DEFAULT_WINDOW_MS,
    Policy,
)
from .domain.signature import WebhookSecrets
from .errors import NotConfiguredError

RATE_LIMIT_VARIABLES = {
    "window_ms": ("RATE_LIMIT_WINDOW_MS", DEFAULT_WINDOW_MS),
    "user_max": ("RATE_LIMIT_MAX_REQUESTS", DEFAULT_MAX_REQUESTS),
    "ip_max": ("RATE_LIMIT_IP_MAX_REQUESTS", DEFAULT_IP_MAX_REQUESTS),
    "hook_max": ("RATE_LIMIT_WEBHOOK_MAX_REQUESTS", DEFAULT_WEBHOOK_MAX_REQUESTS),
}


@dataclass(frozen=True)
class Settings:
    endpoint: str
    project_id: str
    database_id: str = "ecotrace-main"
    github_webhook_secret: str | None = field(default=None, repr=False)
    github_token: str | None = field(default=None, repr=False)
    electricity_maps_api_key: str | None = field(default=None, repr=False)
    allow_unsigned_webhooks: bool = False  # local only, loud when on
    appwrite_timeout_s: float = 10.0
    default_ci_region: str = "azure:eastus"
    rate_limits: Policy = field(default_factory=Policy)
    webhook_secret_previous: str | None = field(default=None, repr=False)
    webhook_secret_previous_until: datetime | None = None
    webhook_secret_previous_ignored: str = ""
    env: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)

    @property
    def webhook_secrets(self) -> WebhookSecrets:
        return WebhookSecrets(
            self.github_webhook_secret,
            self.webhook_secret_previous,
            self.webhook_secret_previous_until,
            self.webhook_secret_previous_ignored,
        )

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        endpoint = env.get("APPWRITE_FUNCTION_API_ENDPOINT") or env.get("APPWRITE_ENDPOINT")
        project = env.get("APPWRITE_FUNCTION_PROJECT_ID") or env.get("APPWRITE_PROJECT_ID")
        if not endpoint or not project:
            names = ("APPWRITE_FUNCTION_API_ENDPOINT", "APPWRITE_FUNCTION_PROJECT_ID")
            missing = [n for n, v in zip(names, (endpoint, project), strict=True) if not v]
            raise NotConfiguredError("missing environment variables: " + ", ".join(missing))
        previous, previous_until, previous_ignored = _previous_secret(env)
        return cls(
            endpoint=endpoint,
            project_id=project,
            database_id=database_id_from_env(env),
            github_webhook_secret=env.get("GITHUB_WEBHOOK_SECRET") or None,
            github_token=env.get("GITHUB_TOKEN") or None,
            electricity_maps_api_key=env.get("ELECTRICITY_MAPS_API_KEY") or None,
            allow_unsigned_webhooks=env.get("ECOTRACE_INSECURE_ALLOW_UNSIGNED", "") == "1",
            appwrite_timeout_s=float(env.get("ECOTRACE_APPWRITE_TIMEOUT_S", "10")),
            default_ci_region=env.get("ECOTRACE_DEFAULT_CI_REGION", "azure:eastus"),
            rate_limits=rate_limits_from_env(env),
            webhook_secret_previous=previous,
            webhook_secret_previous_until=previous_until,
            webhook_secret_previous_ignored=previous_ignored,
            env=dict(env),
        )


def rate_limits_from_env(env: Mapping[str, str]) -> Policy:
    """``RATE_LIMIT_WINDOW_MS`` and ``RATE_LIMIT_MAX_REQUESTS`` (the design's names: per signed-in user),
    ``RATE_LIMIT_IP_MAX_REQUESTS`` (per client address) and ``RATE_LIMIT_WEBHOOK_MAX_REQUESTS`` (per GitHub hook);
    a budget of 0 turns that limit off. A value that is not a whole number names its variable."""
    values: dict[str, int] = {}
    for name, (variable, default) in RATE_LIMIT_VARIABLES.items():
        raw = env.get(variable, "").strip()
        try:
            values[name] = int(raw) if raw else default
        except ValueError:
            raise NotConfiguredError(f"{variable} must be a whole number, got {raw!r}") from None
    try:
        return Policy(**values)
    except ValueError as exc:
        raise NotConfiguredError(f"rate limits: {exc}") from None


def _previous_secret(env: Mapping[str, str]) -> tuple[str | None, datetime | None, str]:
    """``GITHUB_WEBHOOK_SECRET_PREVIOUS`` with its end ``GITHUB_WEBHOOK_SECRET_PREVIOUS_UNTIL`` (ISO 8601 with a
    time zone). Without a readable end the previous secret is not accepted at all, and the reason is kept for
    the health answer and the execution logs (refusing every delivery over it would lose deliveries)."""
    previous = env.get("GITHUB_WEBHOOK_SECRET_PREVIOUS") or None
    raw_until = env.get("GITHUB_WEBHOOK_SECRET_PREVIOUS_UNTIL", "").strip()
    if previous is None:
        return None, None, ""
    until: datetime | None = None
    ignored = ""
    if not raw_until:
        ignored = "GITHUB_WEBHOOK_SECRET_PREVIOUS is set without GITHUB_WEBHOOK_SECRET_PREVIOUS_UNTIL: not accepted"
    else:
        try:
            given = datetime.fromisoformat(raw_until[:-1] + "+00:00" if raw_until.endswith("Z") else raw_until)
            until = parse_iso(raw_until) if given.tzinfo is not None else None
        except ValueError:
            until = None
        if until is None:
            ignored = (
                "GITHUB_WEBHOOK_SECRET_PREVIOUS_UNTIL must be an ISO 8601 time with a zone, e.g. "
                "2026-12-04T12:00:00Z: the previous secret is not accepted"
            )
    return previous, until, ignored


DATABASE_VARIABLES = ("APPWRITE_DATABASE_ID", "ECOTRACE_DATABASE_ID")  # the design's name first; the older alias


def database_id_from_env(env: Mapping[str, str], default: str = "ecotrace-main") -> str:
    """``APPWRITE_DATABASE_ID`` (the design's variable) or its older alias ``ECOTRACE_DATABASE_ID``; both set to
    different values is a configuration error, not a silent choice."""
    given = {name: env[name].strip() for name in DATABASE_VARIABLES if env.get(name, "").strip()}
    if len(set(given.values())) > 1:
        raise NotConfiguredError(
            "APPWRITE_DATABASE_ID and ECOTRACE_DATABASE_ID are both set, to different databases "
            f"({given['APPWRITE_DATABASE_ID']!r} and {given['ECOTRACE_DATABASE_ID']!r}): keep APPWRITE_DATABASE_ID only"
        )
    return next(iter(given.values()), default)
