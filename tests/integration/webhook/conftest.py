"""The webhook function on the local stack: one stack per module (secret = GitHub's documented test secret),
emptied before each test. Only the github-webhook function is deployed, so no other function's row trigger
changes rows while a test compares them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from wh_http import SECRET

from ecotrace.adapters.appwrite_store import AppwriteStore
from ecotrace_local.testing import StackHandle, run_stack

ROOT = Path(__file__).resolve().parents[3]


def webhook_only_appwrite_json() -> dict[str, object]:
    data = json.loads((ROOT / "appwrite.json").read_text(encoding="utf-8"))
    data["functions"] = [f for f in data["functions"] if f["$id"] == "github-webhook"]
    return data


@pytest.fixture(scope="module")
def module_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackHandle]:
    base = tmp_path_factory.mktemp("webhook-stack")
    with run_stack(
        ROOT,
        db_path=base / "local.sqlite3",
        env={"GITHUB_WEBHOOK_SECRET": SECRET},
        appwrite_json=webhook_only_appwrite_json(),
    ) as handle:
        yield handle


@pytest.fixture
def stack(module_stack: StackHandle) -> StackHandle:
    module_stack.reset()
    return module_stack


@pytest.fixture
def store(stack: StackHandle) -> AppwriteStore:
    return AppwriteStore(stack.client())
