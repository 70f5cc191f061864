"""The function's edge: who may run it and how bad requests are answered (no store is reached)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest

MAIN = Path(__file__).resolve().parents[3] / "functions" / "leaderboard-updater" / "src" / "main.py"


def load_main() -> ModuleType:
    spec = importlib.util.spec_from_file_location("leaderboard_updater_main", MAIN)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Res:
    def json(self, obj: Any, statusCode: int = 200, headers: dict[str, str] | None = None) -> dict[str, Any]:
        return {"body": obj, "statusCode": statusCode}


def context(body: bytes, headers: dict[str, str]) -> Any:
    logs: list[str] = []
    return SimpleNamespace(
        req=SimpleNamespace(body_binary=body, headers=headers),
        res=Res(),
        log=logs.append,
        error=logs.append,
        logs=logs,
    )


@pytest.fixture(autouse=True)
def env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APPWRITE_FUNCTION_API_ENDPOINT", "http://127.0.0.1:9/v1")  # nothing listens there
    monkeypatch.setenv("APPWRITE_FUNCTION_PROJECT_ID", "ecotrace")


def test_signed_in_users_may_not_run_it() -> None:
    out = load_main().main(
        context(b"{}", {"x-appwrite-trigger": "http", "x-appwrite-user-id": "u1", "x-appwrite-key": "k"})
    )
    assert out["statusCode"] == 403
    assert out["body"]["error"] == "forbidden"


@pytest.mark.parametrize(
    ("body", "status"),
    [(b"not json", 400), (b'{"periods": ["yearly"]}', 400), (b"[1]", 400), (json.dumps({"x": 1}).encode(), 400)],
)
def test_bad_direct_executions_get_a_400(body: bytes, status: int) -> None:
    out = load_main().main(context(body, {"x-appwrite-trigger": "http", "x-appwrite-key": "k"}))
    assert out["statusCode"] == status
    assert out["body"]["ok"] is False


def test_outside_appwrite_without_a_key_it_refuses() -> None:
    out = load_main().main(context(b"", {"x-appwrite-trigger": "schedule"}))
    assert out["statusCode"] == 401
