"""The function's thin main(context): status codes and JSON bodies as GitHub sees them."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.fakes.memory_store import MemoryStore
from tests.unit.webhook.wh_helpers import SECRET, headers, raw

MAIN = Path(__file__).resolve().parents[3] / "functions" / "github-webhook" / "src" / "main.py"


class Req:
    def __init__(self, body: bytes, hdrs: dict[str, str]) -> None:
        self.body_binary = body
        self.headers = {"x-appwrite-key": "k", "x-appwrite-trigger": "http", **hdrs}


class Res:
    def json(self, obj: Any, statusCode: int = 200, headers: dict[str, str] | None = None) -> dict[str, Any]:
        return {"body": json.dumps(obj), "statusCode": statusCode}


class Ctx:
    def __init__(self, body: bytes, hdrs: dict[str, str]) -> None:
        self.req, self.res = Req(body, hdrs), Res()
        self.logs: list[str] = []

    def log(self, *msg: Any) -> None:
        self.logs.append(" ".join(map(str, msg)))

    error = log


@pytest.fixture
def main_module(monkeypatch: pytest.MonkeyPatch, store: MemoryStore) -> ModuleType:
    spec = importlib.util.spec_from_file_location("github_webhook_main_under_test", MAIN)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "store_for", lambda settings, invocation: store)
    monkeypatch.setenv("APPWRITE_FUNCTION_API_ENDPOINT", "http://127.0.0.1:1/v1")
    monkeypatch.setenv("APPWRITE_FUNCTION_PROJECT_ID", "ecotrace")
    monkeypatch.setenv("GITHUB_WEBHOOK_SECRET", SECRET)
    return module


def _call(module: ModuleType, body: bytes, hdrs: dict[str, str]) -> tuple[int, dict[str, Any]]:
    out = module.main(Ctx(body, hdrs))
    return out["statusCode"], json.loads(out["body"])


def test_a_signed_push_is_200_with_the_created_activities(main_module: ModuleType, store: MemoryStore) -> None:
    body = raw("push/with-new-branch.payload.json")
    status, answer = _call(main_module, body, headers("push", body))
    assert status == 200
    assert answer["activities"][0]["type"] == "commit"
    assert len(store.by_id("activities")) == 1


def test_ping_is_200_with_the_hook_id(main_module: ModuleType) -> None:
    body = raw("ping/payload.json")
    assert _call(main_module, body, headers("ping", body))[1]["hook_id"] == 109948940


@pytest.mark.parametrize(
    ("body", "secret", "status", "code"),
    [
        (raw("push/with-new-branch.payload.json"), "wrong", 401, "invalid_signature"),
        (b"{", SECRET, 400, "invalid_request"),
    ],
)
def test_errors_map_to_status_and_code(
    main_module: ModuleType, body: bytes, secret: str, status: int, code: str
) -> None:
    got_status, answer = _call(main_module, body, headers("push", body, secret=secret))
    assert (got_status, answer["ok"], answer["error"]) == (status, False, code)
    assert answer["message"]


def test_missing_secret_is_503_with_a_clear_message(main_module: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_WEBHOOK_SECRET")
    body = raw("push/with-new-branch.payload.json")
    status, answer = _call(main_module, body, headers("push", body))
    assert status == 503
    assert "GITHUB_WEBHOOK_SECRET" in answer["message"]


def test_store_outage_is_503_and_keeps_the_delivery(main_module: ModuleType, store: MemoryStore) -> None:
    store.fail("tx_commit", "transactions")
    body = raw("push/with-new-branch.payload.json")
    status, answer = _call(main_module, body, headers("push", body))
    assert (status, answer["error"]) == (503, "storage_unavailable")
    assert [r["status"] for r in store.by_id("webhook_deliveries").values()] == ["failed"]
