"""Settings, read once from the function's environment into a frozen object.

Appwrite gives each function ``APPWRITE_FUNCTION_API_ENDPOINT`` and ``APPWRITE_FUNCTION_PROJECT_ID``;
the API key is not in the environment: each execution carries it in the ``x-appwrite-key`` header.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from .errors import NotConfiguredError


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
    env: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        endpoint = env.get("APPWRITE_FUNCTION_API_ENDPOINT") or env.get("APPWRITE_ENDPOINT")
        project = env.get("APPWRITE_FUNCTION_PROJECT_ID") or env.get("APPWRITE_PROJECT_ID")
        if not endpoint or not project:
            names = ("APPWRITE_FUNCTION_API_ENDPOINT", "APPWRITE_FUNCTION_PROJECT_ID")
            missing = [n for n, v in zip(names, (endpoint, project), strict=True) if not v]
            raise NotConfiguredError("missing environment variables: " + ", ".join(missing))
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
            env=dict(env),
        )


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
