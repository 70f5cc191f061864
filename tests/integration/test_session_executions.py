"""Function executions by a user signed in with a session (as the web SDK sends them) are what they are for the
same user with a JWT: allowed where ``execute`` lets users in, refused by Appwrite (401) where it does not."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from appwrite.client import Client
from appwrite.exception import AppwriteException
from appwrite.services.functions import Functions

from ecotrace_local.testing import StackHandle
from tests.integration.project_stack import project_stack

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def module_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackHandle]:
    with project_stack(tmp_path_factory.mktemp("session-exec")) as handle:
        yield handle


def session_client(stack: StackHandle) -> tuple[str, Client]:
    headers = {"x-appwrite-project": stack.project_id}
    with httpx.Client(base_url=stack.endpoint, headers=headers, timeout=10) as api:
        user = api.post("/account", json={"userId": "unique()", "email": "eve@example.com", "password": PASSWORD})
        session = api.post("/account/sessions/email", json={"email": "eve@example.com", "password": PASSWORD})
    credential = json.loads(session.headers["x-fallback-cookies"])["a_session_ecotrace"]
    client = Client().set_endpoint(stack.endpoint).set_project(stack.project_id).set_session(credential)
    return str(user.json()["$id"]), client


def test_a_session_user_runs_api_integrations_as_itself(stack: StackHandle) -> None:
    _, client = session_client(stack)
    execution = Functions(client).create_execution("api-integrations", body=json.dumps({"action": "health"}))
    assert execution.responsestatuscode == 200, execution.responsebody


@pytest.mark.parametrize("kind", ["session", "jwt"])
def test_the_leaderboard_refuses_signed_in_users_with_401_as_its_readme_says(stack: StackHandle, kind: str) -> None:
    user_id, client = session_client(stack)
    if kind == "jwt":
        client = stack.user_client(user_id)
    with pytest.raises(AppwriteException) as refused:
        Functions(client).create_execution("leaderboard-updater", body="{}")
    assert (refused.value.code, refused.value.type) == (401, "user_unauthorized")
