"""Each execution writes exactly one JSON line to its logs (function, trigger, request and delivery id, status,
duration, Appwrite requests, peak memory) and one JSON line per error to its errors, with secrets redacted."""

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
FIELDS = {"function", "trigger", "request_id", "status", "duration_ms", "appwrite_requests", "peak_memory_mb"}


class Req:
    def __init__(self, body: bytes, hdrs: dict[str, str]) -> None:
        self.body_binary = body
        self.headers = {
            "x-appwrite-key": "ephemeral_key-that-must-never-be-logged",
            "x-appwrite-trigger": "http",
            "x-appwrite-execution-id": "exec-123",
            **hdrs,
        }


class Res:
    def json(self, obj: Any, statusCode: int = 200, headers: dict[str, str] | None = None) -> dict[str, Any]:
        return {"body": json.dumps(obj), "statusCode": statusCode, "headers": headers or {}}


class Ctx:
    def __init__(self, body: bytes, hdrs: dict[str, str]) -> None:
        self.req, self.res = Req(body, hdrs), Res()
        self.logs: list[str] = []
        self.errors: list[str] = []

    def log(self, *msg: Any) -> None:
        self.logs.append(" ".join(map(str, msg)))

    def error(self, *msg: Any) -> None:
        self.errors.append(" ".join(map(str, msg)))


@pytest.fixture
def main_module(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    spec = importlib.util.spec_from_file_location("github_webhook_main_logs", MAIN)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    store = MemoryStore()
    monkeypatch.setattr(module, "store_for", lambda settings, invocation: store)
    monkeypatch.setenv("APPWRITE_FUNCTION_API_ENDPOINT", "http://127.0.0.1:1/v1")
    monkeypatch.setenv("APPWRITE_FUNCTION_PROJECT_ID", "ecotrace")
    monkeypatch.setenv("GITHUB_WEBHOOK_SECRET", SECRET)
    return module


def call(module: ModuleType, body: bytes, hdrs: dict[str, str]) -> tuple[dict[str, Any], Ctx]:
    context = Ctx(body, hdrs)
    return module.main(context), context


def only_line(context: Ctx) -> dict[str, Any]:
    assert len(context.logs) == 1, context.logs
    line: dict[str, Any] = json.loads(context.logs[0])
    assert set(line) >= FIELDS, line
    return line


def test_a_processed_delivery_logs_one_line_with_every_field(main_module: ModuleType) -> None:
    body = raw("push/with-new-branch.payload.json")
    out, context = call(main_module, body, headers("push", body, delivery="gh-delivery-9"))
    line = only_line(context)
    assert out["statusCode"] == 200
    assert (line["type"], line["function"], line["trigger"], line["request_id"]) == (
        "execution",
        "github-webhook",
        "http",
        "exec-123",
    )
    assert (line["delivery_id"], line["status"], line["outcome"], line["event"]) == (
        "gh-delivery-9",
        200,
        "processed",
        "push",
    )
    assert line["duration_ms"] > 0
    assert line["peak_memory_mb"] > 0
    assert line["appwrite_requests"] == 0  # the in-memory store sends none; the local-stack test counts real ones
    assert context.errors == []


def test_an_error_adds_one_error_line_and_the_summary_carries_its_code(main_module: ModuleType) -> None:
    body = raw("push/with-new-branch.payload.json")
    out, context = call(main_module, body, headers("push", body, secret="wrong"))
    line = only_line(context)
    assert (out["statusCode"], line["status"], line["outcome"]) == (401, 401, "invalid_signature")
    assert len(context.errors) == 1
    error = json.loads(context.errors[0])
    assert (error["type"], error["error"], error["request_id"]) == ("error", "invalid_signature", "exec-123")


def test_an_unexpected_failure_is_answered_500_and_logged_without_secrets(
    main_module: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(f"could not use secret {SECRET} for ada@example.org")

    monkeypatch.setattr(main_module, "ingest_for", broken)
    body = raw("push/with-new-branch.payload.json")
    out, context = call(main_module, body, headers("push", body))
    assert out["statusCode"] == 500
    assert json.loads(out["body"]) == {"ok": False, "error": "internal_error", "message": "unexpected error"}
    assert only_line(context)["outcome"] == "internal_error"
    error = json.loads(context.errors[0])
    assert error["exception"] == "RuntimeError"
    assert error["frames"]
    written = "".join(context.logs + context.errors)
    for secret in (SECRET, "ada@example.org", "ephemeral_key-that-must-never-be-logged"):
        assert secret not in written


def test_warnings_logged_by_the_core_become_json_lines(
    main_module: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ECOTRACE_INSECURE_ALLOW_UNSIGNED", "1")
    monkeypatch.delenv("GITHUB_WEBHOOK_SECRET")
    body = raw("push/with-new-branch.payload.json")
    _, context = call(main_module, body, headers("push", body, secret=None))
    only_line(context)
    logged = [json.loads(e) for e in context.errors]
    assert any(e["type"] == "log" and e["level"] == "warning" and "INSECURE" in e["message"] for e in logged)


def test_a_rotation_without_an_end_is_said_in_every_executions_errors(
    main_module: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_WEBHOOK_SECRET_PREVIOUS", "the-old-secret-value")
    body = raw("push/with-new-branch.payload.json")
    out, context = call(main_module, body, headers("push", body, secret="the-old-secret-value"))
    assert out["statusCode"] == 401  # the previous secret is not accepted without an end time
    logged = [json.loads(e) for e in context.errors]
    assert any("GITHUB_WEBHOOK_SECRET_PREVIOUS_UNTIL" in e.get("message", "") for e in logged)
    assert "the-old-secret-value" not in "".join(context.logs + context.errors)
