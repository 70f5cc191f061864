"""Composition root of the operator scripts (``scripts/replay_deliveries.py``, ``scripts/erase_person.py``,
``scripts/backfill.py``): they
run outside Appwrite, with a server API key, against Appwrite or the local stack.

Connection: ``APPWRITE_ENDPOINT`` (default ``http://127.0.0.1:${ECOTRACE_PORT:-8787}/v1``), ``APPWRITE_PROJECT_ID``
(default ``ecotrace``), ``APPWRITE_API_KEY`` (default ``ECOTRACE_LOCAL_API_KEY`` or the local stack's documented
development key) with ``rows.read`` and ``rows.write``. Constructs clients only; sends nothing.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..adapters.appwrite_store import AppwriteStore, make_client
from ..settings import Settings

LOCAL_KEY = "ecotrace-local-dev-key"  # the local stack's documented development key


def script_settings(env: Mapping[str, str]) -> Settings:
    port = env.get("ECOTRACE_PORT", "8787")
    merged = {
        "APPWRITE_ENDPOINT": env.get("APPWRITE_ENDPOINT") or f"http://127.0.0.1:{port}/v1",
        "APPWRITE_PROJECT_ID": env.get("APPWRITE_PROJECT_ID") or "ecotrace",
        **{k: v for k, v in env.items() if k not in ("APPWRITE_FUNCTION_API_ENDPOINT", "APPWRITE_FUNCTION_PROJECT_ID")},
    }
    return Settings.from_env(merged)


def script_store(settings: Settings, env: Mapping[str, str]) -> AppwriteStore:
    key = env.get("APPWRITE_API_KEY") or env.get("ECOTRACE_LOCAL_API_KEY") or LOCAL_KEY
    return AppwriteStore(make_client(settings.endpoint, settings.project_id, key), settings.database_id)
