"""The whole path on the local stack, as a team would see it: a signed GitHub push reaches the webhook
function's domain, becomes activity rows with carbon figures, the leaderboard function ranks them, and a
dashboard subscribed to the activities channel receives the writes. Bad deliveries get a clear 4xx and
write nothing."""

from __future__ import annotations

import asyncio
import copy
import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
from appwrite.query import Query
from appwrite.services.functions import Functions
from appwrite.services.tables_db import TablesDB

from ecotrace.adapters.appwrite_store import AppwriteStore
from ecotrace.services.accounts import link_account
from ecotrace_local.testing import StackHandle, run_stack

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "github-webhooks"
SECRET = "e2e-secret"
DB = "ecotrace-main"
ACCOUNT = "acct-codertocat"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackHandle]:
    env = {"GITHUB_WEBHOOK_SECRET": SECRET, "ECOTRACE_RUN_SCHEDULES": "0"}
    with run_stack(ROOT, db_path=tmp_path_factory.mktemp("e2e") / "db.sqlite3", env=env) as handle:
        yield handle


def three_commit_push() -> dict[str, Any]:
    """The new-branch push fixture, grown to three distinct commits with their own ids and files."""
    payload: dict[str, Any] = json.loads((FIXTURES / "push" / "with-new-branch.payload.json").read_text())
    base = payload["commits"][0]
    commits = []
    for i in range(3):
        commit = copy.deepcopy(base)
        commit["id"] = hashlib.sha1(f"e2e-{i}".encode()).hexdigest()
        commit["added"] = [f"src/new_{i}.py"]
        commit["modified"] = ["README.md"] * (i > 0)
        commits.append(commit)
    payload["commits"] = commits
    payload["head_commit"] = commits[-1]
    payload["after"] = commits[-1]["id"]
    return payload


def deliver(
    stack: StackHandle, body: bytes, *, event: str = "push", delivery: str, sign: bool = True
) -> httpx.Response:
    headers = {
        "content-type": "application/json",
        "x-github-event": event,
        "x-github-delivery": delivery,
        "x-github-hook-id": "4242",
        "user-agent": "GitHub-Hookshot/e2e",
    }
    if sign:
        headers["x-hub-signature-256"] = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    return httpx.post(f"{stack.base_url}/functions/github-webhook/", content=body, headers=headers, timeout=30)


def rows(stack: StackHandle, table: str, *queries: str) -> list[dict[str, Any]]:
    result = TablesDB(stack.client()).list_rows(DB, table, queries=[*queries, Query.limit(100)])
    return [r.model_dump(by_alias=True) | r.data for r in result.rows]


def test_signed_push_becomes_carbon_rows_ranked_and_pushed_live(stack: StackHandle) -> None:
    payload = three_commit_push()
    sender = payload["sender"]
    # GIVEN Codertocat has signed up: their GitHub id is linked to an Appwrite account
    stack.user_jwt(ACCOUNT)
    link_account(AppwriteStore(stack.client()), github_id=sender["id"], account_id=ACCOUNT, login=sender["login"])
    token = stack.user_jwt(ACCOUNT)
    channel = f"databases.{DB}.tables.activities.rows"
    ws_url = f"ws://127.0.0.1:{stack.stack.config.port}/v1/realtime?project={stack.project_id}&jwt={token}"

    async def scenario() -> tuple[httpx.Response, list[dict[str, Any]]]:
        frames: list[dict[str, Any]] = []
        async with websockets.connect(f"{ws_url}&channels[]={channel}") as ws:
            assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "connected"
            # WHEN the push is delivered
            response = await asyncio.to_thread(deliver, stack, json.dumps(payload).encode(), delivery="e2e-push-1")
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and len({f["data"]["payload"]["$id"] for f in frames}) < 3:
                try:
                    frame = json.loads(await asyncio.wait_for(ws.recv(), 1))
                except TimeoutError:
                    continue
                if frame["type"] == "event":
                    frames.append(frame)
        return response, frames

    response, frames = asyncio.run(scenario())

    # THEN the delivery is accepted and three commit activities exist, each with a carbon figure
    assert response.status_code == 200, response.text
    # (the webhook computes carbon in the same transaction as the rows: no waiting for the event trigger)
    activities = rows(stack, "activities", Query.equal("type", "commit"))
    assert sorted(a["external_id"] for a in activities) == sorted(c["id"] for c in payload["commits"])
    for activity in activities:
        assert activity["carbon_kg"] > 0
        assert activity["carbon_kg_low"] <= activity["carbon_kg"] <= activity["carbon_kg_high"]
        assert activity["calculation_confidence"] in {"high", "medium", "low"}
        assert activity["methodology_version"]
    calculations = rows(stack, "calculations")
    assert {c["activity_id"] for c in calculations} >= {a["$id"] for a in activities}

    # AND the dashboard subscribed to the activities channel received each new row
    received = {f["data"]["payload"]["$id"] for f in frames}
    assert received >= {a["$id"] for a in activities}
    assert all(channel in f["data"]["channels"] for f in frames)

    # WHEN the leaderboard function runs (as its schedule would; here a direct execution with the API key)
    execution = Functions(stack.client()).create_execution("leaderboard-updater", body="{}", xasync=False)
    assert execution.status.value == "completed", execution.errors
    # THEN Codertocat is ranked in the all-time board with the activities' carbon
    board = rows(stack, "leaderboards", Query.equal("period_type", "all_time"))
    mine = [b for b in board if b["github_login"] == sender["login"]]
    assert len(mine) == 1
    assert mine[0]["rank"] == 1
    assert mine[0]["carbon_kg"] == pytest.approx(sum(a["carbon_kg"] for a in activities), rel=1e-6)

    # AND a redelivery of the same push changes nothing
    again = deliver(stack, json.dumps(payload).encode(), delivery="e2e-push-1")
    assert again.status_code == 200
    assert len(rows(stack, "activities", Query.equal("type", "commit"))) == 3


@pytest.mark.parametrize(
    ("case", "expected"),
    [("unsigned", 401), ("bad-signature", 401), ("malformed", 400), ("oversized", 413)],
)
def test_bad_deliveries_get_a_clear_4xx_and_write_nothing(stack: StackHandle, case: str, expected: int) -> None:
    before = {t: len(rows(stack, t)) for t in ("activities", "webhook_deliveries", "users")}
    body = json.dumps(three_commit_push()).encode()
    if case == "unsigned":
        response = deliver(stack, body, delivery=f"bad-{case}", sign=False)
    elif case == "bad-signature":
        response = deliver(stack, body + b" ", delivery=f"bad-{case}", sign=False)
    elif case == "malformed":
        response = deliver(stack, b'{"ref": "refs/heads/main", "commits": [', delivery=f"bad-{case}")
    else:
        response = deliver(stack, b'{"pad": "' + b"x" * (25 * 1024 * 1024 + 1) + b'"}', delivery=f"bad-{case}")
    assert response.status_code == expected, response.text
    if response.headers.get("content-type", "").startswith("application/json"):
        assert response.json().get("message")
    after = {t: len(rows(stack, t)) for t in ("activities", "webhook_deliveries", "users")}
    assert after == before
