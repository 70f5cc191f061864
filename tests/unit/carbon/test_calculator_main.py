"""The carbon-calculator function's edge: status codes and bodies, with the store swapped for the fake."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest

from ecotrace.domain.carbon import default_methodology
from ecotrace.domain.models import EmissionFactor
from ecotrace.tables.activities import to_row as activity_row
from tests.fakes.memory_store import MemoryStore
from tests.unit.carbon.carbon_builders import make_activity, make_factor

MAIN = Path(__file__).resolve().parents[3] / "functions" / "carbon-calculator" / "src" / "main.py"


class Factors:
    def resolve(self, region: str | None) -> EmissionFactor:
        return make_factor(region=region or "WORLD")


class Res:
    def json(self, obj: Any, statusCode: int = 200, headers: dict[str, str] | None = None) -> dict[str, Any]:
        return {"body": obj, "statusCode": statusCode}


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch) -> MemoryStore:
    monkeypatch.setenv("APPWRITE_FUNCTION_API_ENDPOINT", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("APPWRITE_FUNCTION_PROJECT_ID", "ecotrace")
    return MemoryStore()


def run(store: MemoryStore, monkeypatch: pytest.MonkeyPatch, body: Any, headers: dict[str, str]) -> dict[str, Any]:
    spec = importlib.util.spec_from_file_location("carbon_calculator_main", MAIN)
    assert spec is not None
    assert spec.loader is not None
    module: ModuleType = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "store_for", lambda settings, invocation: store)
    monkeypatch.setattr(module, "resolver_for", lambda settings, s: Factors())
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    logs: list[str] = []
    ctx = SimpleNamespace(
        req=SimpleNamespace(body_binary=raw, headers={"x-appwrite-key": "k", **headers}),
        res=Res(),
        log=logs.append,
        error=logs.append,
    )
    out: dict[str, Any] = module.main(ctx)
    return out


USER = {"x-appwrite-trigger": "http", "x-appwrite-user-id": "acct-1"}


def test_the_schedule_fills_rows_left_without_carbon(store: MemoryStore, monkeypatch: pytest.MonkeyPatch) -> None:
    store.seed("activities", "a1", activity_row(make_activity(id="a1", duration_s=60), []))
    out = run(store, monkeypatch, b"", {"x-appwrite-trigger": "schedule"})
    assert out["statusCode"] == 200
    assert (out["body"]["status"], out["body"]["calculated"]) == ("swept", 1)
    assert store.rows("activities")[0]["methodology_version"] == default_methodology().version
    again = run(store, monkeypatch, b"", {"x-appwrite-trigger": "schedule"})
    assert again["body"]["calculated"] == 0


def test_estimate_for_a_signed_in_user(store: MemoryStore, monkeypatch: pytest.MonkeyPatch) -> None:
    body = {"action": "estimate", "activity": {"type": "commit", "lines_added": 150, "lines_deleted": 50}}
    out = run(store, monkeypatch, body, USER)
    assert out["statusCode"] == 200
    assert out["body"]["result"]["sci_functional_unit"] == "commit"
    assert store.commits == []


@pytest.mark.parametrize(
    ("body", "headers", "status", "needle"),
    [
        (b"{not json", USER, 400, "not valid JSON"),
        ({"action": "estimate", "activity": {"type": "pr", "lines_added": -3}}, USER, 400, "lines_added"),
        ({"action": "calculate", "activity_id": "nobody"}, USER, 404, "not found"),
        ({"action": "estimate", "activity": {"type": "pr"}}, {"x-appwrite-trigger": "http"}, 401, "sign in"),
    ],
)
def test_errors_are_named_with_their_status(
    store: MemoryStore, monkeypatch: pytest.MonkeyPatch, body: Any, headers: dict[str, str], status: int, needle: str
) -> None:
    out = run(store, monkeypatch, body, headers)
    assert out["statusCode"] == status
    assert out["body"]["ok"] is False
    assert needle in out["body"]["message"]


def test_a_malformed_self_hosted_setting_is_a_named_503(store: MemoryStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECOTRACE_SELF_HOSTED_VCPU", "lots")
    out = run(store, monkeypatch, {"action": "estimate", "activity": {"type": "pr"}}, USER)
    assert out["statusCode"] == 503
    assert "ECOTRACE_SELF_HOSTED_VCPU" in out["body"]["message"]
