"""Sign-up: a person's GitHub activity, recorded before they had an account, becomes theirs to read once they
prove (with their GitHub OAuth token) which GitHub account is theirs."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from appwrite.exception import AppwriteException
from appwrite.query import Query
from appwrite.services.functions import Functions
from appwrite.services.tables_db import TablesDB

from ecotrace_local.testing import StackHandle, run_stack
from tests.fakes.github_api import FakeGitHub

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "github-webhooks"
SECRET = "signup-secret"
TOKENS: dict[str, dict[str, Any]] = {
    "gho_codertocat": {"id": 21031067, "login": "Codertocat"},
    "gho_someone": {"id": 99, "login": "someone"},
}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackHandle]:
    with FakeGitHub() as github:
        for token, account in TOKENS.items():
            github.add_user(token, account["id"], account["login"])
        env = {"GITHUB_WEBHOOK_SECRET": SECRET, "ECOTRACE_RUN_SCHEDULES": "0", "GITHUB_API_URL": github.base_url}
        with run_stack(ROOT, db_path=tmp_path_factory.mktemp("signup") / "db.sqlite3", env=env) as handle:
            yield handle


def push_once(stack: StackHandle) -> None:
    body = (FIXTURES / "push" / "with-new-branch.payload.json").read_bytes()
    headers = {
        "content-type": "application/json",
        "x-github-event": "push",
        "x-github-delivery": "signup-push-1",
        "x-github-hook-id": "1",
        "x-hub-signature-256": "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest(),
    }
    response = httpx.post(f"{stack.base_url}/functions/github-webhook/", content=body, headers=headers, timeout=30)
    assert response.status_code == 200, response.text


def link(client: Any, token: object) -> tuple[int, dict[str, Any]]:
    body = json.dumps({"action": "link_github_account", "github_token": token})
    execution = Functions(client).create_execution("api-integrations", body=body, xasync=False)
    return int(execution.responsestatuscode), json.loads(execution.responsebody)


def my_activities(client: Any) -> list[str]:
    result = TablesDB(client).list_rows("ecotrace-main", "activities", queries=[Query.limit(100)])
    return [row.id for row in result.rows]


def test_activity_recorded_before_sign_up_becomes_readable_after_linking(stack: StackHandle) -> None:
    # GIVEN Codertocat pushed before having an account
    push_once(stack)
    me = stack.user_client("acct-coder")
    assert my_activities(me) == []
    # WHEN they link with their GitHub token
    status, body = link(me, "gho_codertocat")
    # THEN the GitHub account is theirs and so is its activity
    assert status == 200, body
    assert body["github_login"] == "Codertocat"
    assert body["user_id"] == "gh_21031067"
    assert len(my_activities(me)) == 1
    # AND someone else still sees none of it
    assert my_activities(stack.user_client("acct-other")) == []
    # AND the GitHub token is not echoed back
    assert "gho_codertocat" not in json.dumps(body)


def test_linking_twice_is_harmless(stack: StackHandle) -> None:
    status, _ = link(stack.user_client("acct-coder"), "gho_codertocat")
    assert status == 200


def test_a_github_account_already_linked_elsewhere_is_refused(stack: StackHandle) -> None:
    status, body = link(stack.user_client("acct-thief"), "gho_codertocat")
    assert status == 409
    assert "already linked" in body["message"]
    assert my_activities(stack.user_client("acct-thief")) == []


@pytest.mark.parametrize(("token", "expected"), [("gho_wrong", 401), ("", 400), (None, 400), (42, 400)])
def test_bad_tokens_are_refused_and_link_nothing(stack: StackHandle, token: object, expected: int) -> None:
    status, body = link(stack.user_client("acct-bad"), token)
    assert status == expected
    assert body["ok"] is False
    rows = TablesDB(stack.client()).list_rows("ecotrace-main", "users", queries=[Query.equal("account_id", "acct-bad")])
    assert rows.total == 0


def test_callers_without_a_user_cannot_link(stack: StackHandle) -> None:
    status, _ = link(stack.client(), "gho_someone")
    assert status == 403
    with pytest.raises(AppwriteException) as guest:
        link(stack.guest_client(), "gho_someone")
    assert guest.value.code == 401
