"""The composition root of the local stack: its settings (:class:`StackConfig`, read from the environment and
``.env``) and :class:`LocalStack`, which builds every service once, wires them, and closes them in order.

The layers below it (see ARCHITECTURE.md, "Local stack"): ``storage/`` (SQLite, queries, rows, transactions,
users, credentials) <- ``runtime/`` (functions, executions, triggers, realtime hub) <- ``http/`` (routes,
handlers, middleware); ``errors.py`` and ``events.py`` under all three. ``__main__.py`` (``make dev``) and
``testing.py`` (``run_stack``) build a ``LocalStack`` and serve its app.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.applications import Starlette

from .events import EventBus
from .http.app import create_app
from .http.dashboard import DashboardFiles
from .http.faults import Faults, RequestLog
from .http.github_oauth import GitHubOAuth
from .http.github_standin import API_PREFIX, GitHubStandIn
from .runtime.functions import FunctionsService
from .runtime.realtime import RealtimeHub
from .runtime.specs import load_specs
from .storage.accounts import Accounts
from .storage.credentials import Credentials
from .storage.database import Database
from .storage.rows import Rows
from .storage.schema import Schema
from .storage.sessions import DEFAULT_SESSION_DURATION_S, Sessions
from .storage.transactions import Transactions
from .storage.users import Users

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
    session_duration_s: int = DEFAULT_SESSION_DURATION_S  # how long an account session lasts (Appwrite: one year)
    # "Sign in with GitHub": the OAuth App; empty URLs = the local GitHub stand-in under /_github
    github_client_id: str = "ecotrace-local"
    github_client_secret: str = "ecotrace-local-github-secret"
    github_url: str = ""
    github_api_url: str = ""

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
            session_duration_s=int(merged.get("ECOTRACE_SESSION_DURATION_S", str(DEFAULT_SESSION_DURATION_S))),
            github_client_id=merged.get("ECOTRACE_GITHUB_CLIENT_ID", "ecotrace-local"),
            github_client_secret=merged.get("ECOTRACE_GITHUB_CLIENT_SECRET", "ecotrace-local-github-secret"),
            github_url=merged.get("ECOTRACE_GITHUB_URL", ""),
            github_api_url=merged.get("ECOTRACE_GITHUB_API_URL", ""),
        )

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def endpoint(self) -> str:
        return f"{self.base_url}/v1"

    @property
    def standin_api_url(self) -> str:
        """The GitHub stand-in's REST root (``GITHUB_API_URL`` for ``link_github_account``)."""
        return self.base_url + API_PREFIX

    def appwrite_json(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.root / "appwrite.json").read_text(encoding="utf-8"))
        return data


# `make dev` only (never in tests or deployments): the webhook secret that scripts/send_test_event.py signs
# with, so the README's first event works on a fresh machine. Announced loudly at start-up.
LOCAL_DEFAULT_WEBHOOK_SECRET = "ecotrace-local-webhook-secret"


def apply_dev_defaults(config: StackConfig) -> list[str]:
    """Fill in local-only defaults for function variables that are unset; return one notice per default used."""
    notices = []
    if not config.function_env.get("GITHUB_API_URL"):
        config.function_env["GITHUB_API_URL"] = config.standin_api_url
        notices.append(
            f"GITHUB_API_URL is not set: link_github_account asks the local GitHub stand-in ({config.standin_api_url})."
        )
    if not config.function_env.get("GITHUB_WEBHOOK_SECRET"):
        config.function_env["GITHUB_WEBHOOK_SECRET"] = LOCAL_DEFAULT_WEBHOOK_SECRET
        notices.append(
            f"GITHUB_WEBHOOK_SECRET is not set: using the LOCAL DEVELOPMENT secret {LOCAL_DEFAULT_WEBHOOK_SECRET!r}. "
            "Anyone who knows it can sign deliveries: set your own in .env before exposing this stack."
        )
    return notices


# How both servers (``make dev``, ``testing.run_stack``) run the app under uvicorn. No permessage-deflate: the hub
# serialises each event once for every subscriber, and compressing it again per socket cost more than the rest of
# the fan-out (loopback has the bandwidth).
SERVER_OPTIONS: dict[str, Any] = {
    "log_level": "warning",
    "ws": "auto",
    "ws_per_message_deflate": False,
    "timeout_graceful_shutdown": 5,
}


class LocalStack:
    """One local stack: every service, built up front from ``config`` (and ``appwrite_json``, else the checkout's
    appwrite.json), and the app that serves them. ``config.port`` must be the real port already: the functions'
    ``APPWRITE_FUNCTION_API_ENDPOINT`` names it. :meth:`start` / :meth:`stop` run with the server (the app's
    lifespan); :meth:`close` stops everything and closes the database."""

    def __init__(self, config: StackConfig, appwrite_json: dict[str, Any] | None = None) -> None:
        self.config = config
        self.appwrite_json: dict[str, Any] = appwrite_json if appwrite_json is not None else config.appwrite_json()
        self.bus = EventBus()
        self.schema = Schema.from_appwrite_json(self.appwrite_json)
        self.db = Database(config.db_path, self.schema, self.bus)
        try:
            self.users = Users(self.db)
            self.sessions = Sessions(self.db, config.session_duration_s)
            self.accounts = Accounts(self.users, self.sessions)
            self.transactions = Transactions(self.db)
            self.rows = Rows(self.db, self.transactions)
            self.credentials = Credentials(config.project_id, config.api_key, config.jwt_secret)
            self.functions = FunctionsService(
                config.root,
                load_specs(self.appwrite_json),
                credentials=self.credentials,
                bus=self.bus,
                endpoint=config.endpoint,
                variables=config.function_env,
                legacy_databases=self.schema.legacy_databases,
                run_schedules=config.run_schedules,
            )
            self.realtime = RealtimeHub(self.bus, legacy_databases=self.schema.legacy_databases)
            self.functions.add_listener(self.realtime.on_execution)  # finished executions reach realtime
            self.github_standin = GitHubStandIn(config.github_client_id, config.github_client_secret, config.jwt_secret)
            self.github_oauth = GitHubOAuth(
                config.github_client_id,
                config.github_client_secret,
                server_base=config.base_url,
                web_url=config.github_url,
                api_url=config.github_api_url,
            )
            self.faults = Faults()
            self.request_log = RequestLog()
            self.app: Starlette = create_app(
                [
                    self.rows,
                    self.transactions,
                    self.users,
                    self.sessions,
                    self.accounts,
                    self.credentials,
                    self.functions,
                    self.realtime,
                    self.faults,
                    self.request_log,
                    self.github_standin,
                    self.github_oauth,
                    DashboardFiles(config.root),
                ],
                on_startup=self.start,
                on_shutdown=self.stop,
            )
        except BaseException:
            self.db.close()
            raise

    def start(self) -> None:
        """Publish row writes to realtime, install the functions' environment, triggers and schedules."""
        self.realtime.start()
        self.functions.install()

    def stop(self) -> None:
        """The reverse of :meth:`start` (idempotent): no more triggers or schedules, realtime sockets closed."""
        self.functions.uninstall()
        self.realtime.close()

    def close(self) -> None:
        """Stop, then close the executions store and the database."""
        self.stop()
        self.functions.close()
        self.db.close()

    def reset(self) -> None:
        """Empty every table, user and transaction; drop faults and the request log (between tests)."""
        self.db.clear_rows()
        self.users.clear()
        self.sessions.clear()
        self.transactions.clear()
        self.faults.clear()
        self.request_log.clear()
