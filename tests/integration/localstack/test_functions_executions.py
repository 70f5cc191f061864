"""Function executions through the real Appwrite SDK (``Functions.create_execution``) against the local stack."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from appwrite.enums.execution_method import ExecutionMethod
from appwrite.exception import AppwriteException
from appwrite.query import Query
from appwrite.services.functions import Functions
from appwrite.services.tables_db import TablesDB

from ecotrace_local.runtime import functions as functions_api
from ecotrace_local.testing import StackHandle
from tests.integration.localstack.fn_samples import DB, sample_stack, wait_for


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackHandle]:
    with sample_stack(tmp_path_factory.mktemp("fnexec")) as handle:
        yield handle


def _jwt_payload(key: str) -> dict[str, Any]:
    token = key.removeprefix("ephemeral_")
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def test_sync_execution_returns_the_function_response_and_logs_to_a_key(stack: StackHandle) -> None:
    functions = Functions(stack.client())
    execution = functions.create_execution(
        "echo",
        body='{"hello": "world"}',
        path="/items/7?sort=desc",
        method=ExecutionMethod.PUT,
        headers={"content-type": "application/json", "X-Custom": "abc"},
    )
    assert execution.status.value == "completed"
    assert execution.trigger.value == "http"
    assert execution.responsestatuscode == 200
    assert execution.requestmethod == "PUT"
    assert execution.requestpath == "/items/7?sort=desc"
    assert execution.logs == "echo PUT /items/7"
    assert execution.errors == "to stderr"
    headers = {h.name: h.value for h in execution.responseheaders}
    assert headers["x-sample"] == "yes"
    assert headers["x-appwrite-execution-id"] == execution.id
    seen = json.loads(execution.responsebody)
    assert seen["path"] == "/items/7"
    assert seen["query"] == {"sort": "desc"}
    assert seen["body_json"] == {"hello": "world"}
    assert seen["headers"]["x-custom"] == "abc"
    assert seen["env"] == {
        "APPWRITE_FUNCTION_API_ENDPOINT": stack.endpoint,
        "APPWRITE_FUNCTION_PROJECT_ID": stack.project_id,
        "SAMPLE_SETTING": "from-env",
    }


def test_function_receives_server_headers_the_caller_cannot_forge(stack: StackHandle) -> None:
    execution = Functions(stack.client()).create_execution(
        "echo", headers={"x-appwrite-trigger": "event", "x-appwrite-user-id": "mallory", "x-appwrite-key": "forged"}
    )
    headers = json.loads(execution.responsebody)["headers"]
    assert headers["x-appwrite-trigger"] == "http"
    assert headers["x-appwrite-user-id"] == ""
    assert headers["x-appwrite-user-jwt"] == ""
    assert headers["x-appwrite-execution-id"] == execution.id
    assert headers["x-appwrite-continent-eu"] == "false"
    assert headers["x-appwrite-client-ip"] == "127.0.0.1"
    assert "x-appwrite-event" not in headers  # sync http executions carry none
    key = headers["x-appwrite-key"]
    assert key.startswith("ephemeral_")
    assert _jwt_payload(key)["scopes"] == ["rows.read", "rows.write"]
    # The execution key is not recorded where other readers could see it.
    assert all(h.name != "x-appwrite-key" for h in execution.requestheaders)


def test_a_user_execution_carries_the_user_and_hides_logs(stack: StackHandle) -> None:
    execution = Functions(stack.user_client("ada")).create_execution("echo")
    assert json.loads(execution.responsebody)["headers"]["x-appwrite-user-id"] == "ada"
    assert execution.logs == ""
    assert execution.errors == ""
    assert execution.permissions == ['read("user:ada")']


def test_async_execution_answers_waiting_then_completes(stack: StackHandle) -> None:
    functions = Functions(stack.client())
    created = functions.create_execution("echo", body="x", xasync=True)
    assert created.status.value == "waiting"
    assert created.responsebody == ""
    done = wait_for(
        lambda: (e := functions.get_execution("echo", created.id)).status.value == "completed" and e,
        what="the async execution",
    )
    assert done.responsestatuscode == 200
    assert done.responsebody == ""  # stored copies keep no body
    assert {h.name for h in done.responseheaders} <= {"content-type", "content-length"}
    assert done.logs == "echo POST /"
    listed = functions.list_executions("echo")
    assert created.id in {e.id for e in listed.executions}


def test_x_appwrite_event_is_absent_for_sync_and_empty_for_async_http_executions(stack: StackHandle) -> None:
    # "cron" records the headers it received as a row of "seen" (see fn_samples.RECORDER).
    functions = Functions(stack.client())
    tables = TablesDB(stack.client())
    functions.create_execution("cron", body="sync")
    functions.create_execution("cron", body="async", xasync=True)
    rows = wait_for(
        lambda: (
            (found := tables.list_rows(DB, "seen", [Query.equal("trigger", "http")]).rows) and len(found) == 2 and found
        ),
        what="both executions recorded",
    )
    events = {r.data["body"]: r.data["event"] for r in rows}
    assert events == {"sync": "<absent>", "async": ""}


def test_a_raising_function_is_a_failed_500_with_its_traceback(stack: StackHandle) -> None:
    execution = Functions(stack.client()).create_execution("boom")
    assert execution.status.value == "failed"
    assert execution.responsestatuscode == 500
    assert "RuntimeError: sample failure" in execution.errors


def test_a_function_over_its_timeout_fails_and_the_caller_is_not_kept_waiting(stack: StackHandle) -> None:
    execution = Functions(stack.client()).create_execution("slow")
    assert execution.status.value == "failed"
    assert execution.responsestatuscode == 500
    assert execution.responsebody == ""
    assert "Execution timed out." in execution.errors


def test_a_sync_call_longer_than_the_sync_limit_is_408_and_the_execution_is_kept(
    stack: StackHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(functions_api, "SYNC_LIMIT_S", 0.3)  # Appwrite's is 30 s; "slow" may run 1 s
    functions = Functions(stack.client())
    with pytest.raises(AppwriteException) as too_long:
        functions.create_execution("slow")
    assert (too_long.value.code, too_long.value.type) == (408, "function_synchronous_timeout")
    assert any(e.status.value == "failed" for e in functions.list_executions("slow").executions)


def test_execute_permission_is_enforced_for_users_and_guests_but_not_keys(stack: StackHandle) -> None:
    with pytest.raises(AppwriteException) as guest_refused:
        Functions(stack.guest_client()).create_execution("members-only")
    assert (guest_refused.value.code, guest_refused.value.type) == (401, "user_unauthorized")
    as_user = Functions(stack.user_client("grace")).create_execution("members-only")
    assert json.loads(as_user.responsebody) == {"user": "grace"}
    with pytest.raises(AppwriteException) as user_refused:
        Functions(stack.user_client("grace")).create_execution("nobody")
    assert user_refused.value.type == "user_unauthorized"
    assert Functions(stack.client()).create_execution("nobody").status.value == "completed"


def test_unknown_function_is_404(stack: StackHandle) -> None:
    with pytest.raises(AppwriteException) as missing:
        Functions(stack.client()).create_execution("no-such-function")
    assert (missing.value.code, missing.value.type) == (404, "function_not_found")


def test_a_disabled_function_is_not_found_except_for_keys(stack: StackHandle) -> None:
    with pytest.raises(AppwriteException) as hidden:
        Functions(stack.user_client("grace")).create_execution("disabled")
    assert (hidden.value.code, hidden.value.type) == (404, "function_not_found")
    assert Functions(stack.client()).create_execution("disabled").status.value == "completed"


def test_a_function_without_source_has_no_deployment(stack: StackHandle) -> None:
    with pytest.raises(AppwriteException) as missing:
        Functions(stack.client()).create_execution("ghost")
    assert (missing.value.code, missing.value.type) == (404, "deployment_not_found")


def test_one_user_cannot_read_another_users_execution(stack: StackHandle) -> None:
    mine = Functions(stack.user_client("owner")).create_execution("echo")
    assert Functions(stack.user_client("owner")).get_execution("echo", mine.id).id == mine.id
    with pytest.raises(AppwriteException) as hidden:
        Functions(stack.user_client("someone-else")).get_execution("echo", mine.id)
    assert (hidden.value.code, hidden.value.type) == (404, "execution_not_found")
    with pytest.raises(AppwriteException) as guest:
        Functions(stack.guest_client()).list_executions("echo")
    assert guest.value.type == "general_unauthorized_scope"


def test_body_over_10_mib_is_refused_before_the_function_runs(stack: StackHandle) -> None:
    response = httpx.post(
        f"{stack.endpoint}/functions/echo/executions",
        json={"body": "x" * (10 * 1024 * 1024 + 1)},
        headers={"x-appwrite-project": stack.project_id, "x-appwrite-key": stack.api_key},
        timeout=30,
    )
    assert response.status_code == 400
    assert response.json()["type"] == "general_argument_invalid"


@pytest.mark.parametrize(("params", "param"), [({"method": "TRACE"}, "method"), ({"body": 5}, "body")])
def test_bad_parameters_are_400(stack: StackHandle, params: dict[str, Any], param: str) -> None:
    response = httpx.post(
        f"{stack.endpoint}/functions/echo/executions",
        json=params,
        headers={"x-appwrite-project": stack.project_id, "x-appwrite-key": stack.api_key},
        timeout=10,
    )
    assert response.status_code == 400
    assert f"`{param}`" in response.json()["message"]


def test_missing_project_is_refused(tmp_path: Path, stack: StackHandle) -> None:
    response = httpx.post(f"{stack.endpoint}/functions/echo/executions", json={}, timeout=10)
    assert response.status_code == 401
    assert response.json()["type"] == "general_access_forbidden"
