"""The local stack's shared state and settings. Built once by ``ecotrace_local.app.create_app``.

Ownership (keep to it when changing things):
- ``db.py`` / ``tablesdb.py`` (+ ``rowops.py``, ``transactions.py``, ``operators.py``, ``queries.py``) /
  ``accounts.py`` / ``auth.py`` / ``rest.py`` / ``faults.py`` / ``app.py`` / ``testing.py``: the SQLite store,
  TablesDB REST, users/JWTs, callers, fault injection, the app and its test harness;
- ``runtime.py`` / ``functions_api.py`` / ``triggers.py`` / ``realtime.py``: the Python function runtime
  context, executions and function domains, event and schedule triggers, the realtime websocket.
They meet here and in ``events.EventBus``.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_PORT = 8787
DEFAULT_HOST = "127.0.0.1"
PROJECT_ID = "ecotrace"
# Documented in the README: the local stack's API key unless ECOTRACE_LOCAL_API_KEY is set.
DEFAULT_LOCAL_API_KEY = "ecotrace-local-dev-key"


def project_root() -> Path:
    """The checkout (where appwrite.json lives): ECOTRACE_ROOT, else the nearest parent with appwrite.json."""
    env_root = os.environ.get("ECOTRACE_ROOT")
    if env_root:
        return Path(env_root).resolve()
    for parent in [Path.cwd(), *Path(__file__).resolve().parents]:
        if (parent / "appwrite.json").exists():
            return parent
    raise FileNotFoundError("appwrite.json not found: run from the checkout or set ECOTRACE_ROOT")


def read_dotenv(path: Path) -> dict[str, str]:
    """``KEY=VALUE`` lines as python-dotenv reads the common forms: blank lines and ``#`` comments ignored, an
    optional ``export`` prefix, surrounding quotes stripped, and `` #...`` after an unquoted value is a comment."""
    values: dict[str, str] = {}
    if not path.exists():
        return values
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line.startswith("export "):
            line = line[len("export ") :].lstrip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        key, value = key.strip(), value.strip()
        if not key or any(c.isspace() for c in key):
            continue
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        else:
            value = re.split(r"\s#", value, maxsplit=1)[0].rstrip()
        values[key] = value
    return values


def local_settings(env: Mapping[str, str] | None = None, root: Path | None = None) -> dict[str, str]:
    """What ``make dev`` reads: the checkout's ``.env`` overridden by the environment. Scripts that talk to the
    running stack (``scripts/send_test_event.py``) use it to find the same port, key and webhook secret."""
    root = root or project_root()
    return {**read_dotenv(root / ".env"), **dict(os.environ if env is None else env)}


@dataclass
class StackConfig:
    root: Path
    db_path: Path
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    project_id: str = PROJECT_ID
    api_key: str = DEFAULT_LOCAL_API_KEY
    jwt_secret: str = "ecotrace-local-jwt-secret-dev-only-0001"  # signs local JWTs and function execution keys
    # Variables every function sees (Appwrite function variables): from the environment and .env.
    function_env: dict[str, str] = field(default_factory=dict)
    run_schedules: bool = True

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, root: Path | None = None) -> StackConfig:
        root = root or project_root()
        merged = local_settings(env, root)
        data_dir = Path(merged.get("ECOTRACE_DATA_DIR", str(root / ".ecotrace")))
        return cls(
            root=root,
            db_path=Path(merged.get("ECOTRACE_DB", str(data_dir / "local.sqlite3"))),
            host=merged.get("ECOTRACE_HOST", DEFAULT_HOST),
            port=int(merged.get("ECOTRACE_PORT", str(DEFAULT_PORT))),
            api_key=merged.get("ECOTRACE_LOCAL_API_KEY", DEFAULT_LOCAL_API_KEY),
            jwt_secret=merged.get("ECOTRACE_LOCAL_JWT_SECRET", "ecotrace-local-jwt-secret-dev-only-0001"),
            function_env={k: v for k, v in merged.items() if not k.startswith("APPWRITE_")},
            run_schedules=merged.get("ECOTRACE_RUN_SCHEDULES", "1") != "0",
        )

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    def appwrite_json(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.root / "appwrite.json").read_text(encoding="utf-8"))
        return data


# `make dev` only (never in tests or deployments): the webhook secret that scripts/send_test_event.py signs
# with, so the README's first event works on a fresh machine. Announced loudly at start-up.
LOCAL_DEFAULT_WEBHOOK_SECRET = "ecotrace-local-webhook-secret"


def apply_dev_defaults(config: StackConfig) -> list[str]:
    """Fill in local-only defaults for function variables that are unset; return one notice per default used."""
    notices = []
    if not config.function_env.get("GITHUB_WEBHOOK_SECRET"):
        config.function_env["GITHUB_WEBHOOK_SECRET"] = LOCAL_DEFAULT_WEBHOOK_SECRET
        notices.append(
            f"GITHUB_WEBHOOK_SECRET is not set: using the LOCAL DEVELOPMENT secret {LOCAL_DEFAULT_WEBHOOK_SECRET!r}. "
            "Anyone who knows it can sign deliveries: set your own in .env before exposing this stack."
        )
    return notices
